import type { HttpMethod } from "./openapi-types.ts";

/** A REST route as its `google.api.http` annotation writes it: method and path template. */
export interface RouteTemplate {
  readonly method: Uppercase<HttpMethod>;
  readonly path: string;
}

/**
 * The gateway's public routes: the only REST routes served without a bearer token. Auth rules
 * live in the gateway, not in the protos, so this list is the single declaration both the
 * OpenAPI generator (which marks every other operation as needing `bearer`) and the gateway's
 * JWT check are meant to read. Paths are the templates of the annotations, verbatim.
 */
export const gatewayPublicRoutes: readonly RouteTemplate[] = [
  { method: "POST", path: "/v1/auth/signup" },
  { method: "POST", path: "/v1/auth/login" },
  { method: "GET", path: "/.well-known/jwks.json" },
  { method: "GET", path: "/v1/products" },
  { method: "GET", path: "/v1/products/{id}" },
];

/**
 * Whether a route, given by its HTTP method (any case) and its path template as the annotation
 * writes it, is one of the public routes.
 */
export function isPublicRoute(
  method: string,
  pathTemplate: string,
  publicRoutes: readonly RouteTemplate[] = gatewayPublicRoutes,
): boolean {
  const upper = method.toUpperCase();
  return publicRoutes.some((r) => r.method === upper && r.path === pathTemplate);
}
