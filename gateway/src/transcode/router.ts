import type { DescService } from "@bufbuild/protobuf";
import { type CapturedVariable, matchTemplate, splitRequestPath } from "./path-match.ts";
import { type RestRoute, routesOf } from "./rest-route.ts";

/** A request routed to an RPC, with the raw text its path variables captured. */
export interface RouteMatch {
  readonly kind: "match";
  readonly route: RestRoute;
  readonly captured: readonly CapturedVariable[];
}

/** The path names a resource but not with this HTTP method: answer 405 with an `Allow` header. */
export interface MethodNotAllowed {
  readonly kind: "methodNotAllowed";
  /** Upper-case, sorted, without duplicates. */
  readonly allowedMethods: readonly string[];
}

/**
 * Routes REST requests to RPCs by their google.api.http rules.
 *
 * Precedence, when several templates match one path: more literal segments first (a `:verb`
 * counts as one), then fewer `**`, then declaration order (service order as given, methods in
 * proto order, a rule before its additional_bindings). So `/v1/things/special` beats
 * `/v1/things/{id}`, and `/v1/invoices/{id}:cancel` beats `/v1/invoices/{id}` for `…/x:cancel`.
 * The HTTP method is checked after the path: if some template matches but none with this method,
 * the answer is 405 listing the methods that would have matched; if none matches at all, 404.
 */
export class RestRouter {
  private readonly ordered: readonly Candidate[];
  private readonly declared: readonly RestRoute[];

  constructor(services: readonly DescService[]) {
    this.declared = routesOf(services);
    // Array.prototype.sort is stable, so equal keys keep declaration order.
    this.ordered = [...this.declared]
      .sort((a, b) => specificity(b) - specificity(a) || deepCount(a) - deepCount(b))
      .map((route) => ({ route, length: route.template.segments.length, deep: deepCount(route) > 0 }));
  }

  /** Every route in declaration order. */
  routes(): readonly RestRoute[] {
    return this.declared;
  }

  /** The route for a request; `path` is the URL path only, still percent-encoded. */
  match(httpMethod: string, path: string): RouteMatch | MethodNotAllowed | undefined {
    const requestPath = splitRequestPath(path);
    if (requestPath === undefined) return undefined;
    const method = httpMethod.toUpperCase();
    let allowed: Set<string> | undefined;
    const length = requestPath.segments.length;
    for (let at = 0; at < this.ordered.length; at++) {
      const { route, length: templateLength, deep } = this.ordered[at]!;
      // Only paths of the template's length can match it (with a trailing `**`, of at least the
      // segments before it): the others are passed over without trying the template.
      if (deep ? length < templateLength - 1 : length !== templateLength) continue;
      const captured = matchTemplate(route.template, requestPath);
      if (captured === undefined) continue;
      if (route.httpMethod === method) return { kind: "match", route, captured };
      allowed ??= new Set();
      allowed.add(route.httpMethod);
    }
    if (allowed === undefined) return undefined;
    return { kind: "methodNotAllowed", allowedMethods: [...allowed].sort() };
  }
}

/** A route as the router tries it, with the path length it needs. */
interface Candidate {
  readonly route: RestRoute;
  readonly length: number;
  /** Whether the template ends in `**`. */
  readonly deep: boolean;
}

function specificity(route: RestRoute): number {
  const literals = route.template.segments.filter((segment) => segment.kind === "literal").length;
  return literals + (route.template.verb === undefined ? 0 : 1);
}

function deepCount(route: RestRoute): number {
  return route.template.segments.filter((segment) => segment.kind === "deepWildcard").length;
}
