// Whether one rule of a policy matches a request, with Istio's combination logic: any `from`
// AND any `to`; inside a source or operation every present field must match; inside a field
// any value may match; `notX` fields must not match.

import { namespaceOfPrincipal } from "./principal.ts";
import { matchesAny } from "./string-match.ts";
import type { Operation, PolicyRequest, Rule, Source } from "./types.ts";

/** A positive field constrains only when present; a negative one must not match when present. */
function fieldAllows(values: readonly string[] | undefined, actual: string | undefined): boolean {
  return values === undefined || matchesAny(values, actual);
}

function fieldExcludes(values: readonly string[] | undefined, actual: string | undefined): boolean {
  return values === undefined || !matchesAny(values, actual);
}

export function sourceMatches(source: Source, request: PolicyRequest): boolean {
  // An unauthenticated request has neither principal nor namespace: it fails every positive
  // field (even "*") and passes every negative one, as in Istio.
  const namespace = namespaceOfPrincipal(request.principal);
  return (
    fieldAllows(source.principals, request.principal) &&
    fieldExcludes(source.notPrincipals, request.principal) &&
    fieldAllows(source.namespaces, namespace) &&
    fieldExcludes(source.notNamespaces, namespace)
  );
}

export function operationMatches(operation: Operation, request: PolicyRequest): boolean {
  return (
    fieldAllows(operation.paths, request.path) &&
    fieldExcludes(operation.notPaths, request.path) &&
    fieldAllows(operation.methods, request.method) &&
    fieldExcludes(operation.notMethods, request.method)
  );
}

export function ruleMatches(rule: Rule, request: PolicyRequest): boolean {
  const fromMatches = rule.from === undefined || rule.from.some((source) => sourceMatches(source, request));
  const toMatches = rule.to === undefined || rule.to.some((operation) => operationMatches(operation, request));
  return fromMatches && toMatches;
}
