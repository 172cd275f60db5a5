// Istio's string matching for principals, namespaces, paths and methods: exact "abc",
// prefix "abc*", suffix "*abc", and presence "*" (any non-empty value).

/**
 * Why a pattern is not one of Istio's four forms (phrased to follow its location in an error
 * message), or undefined when it is valid. A `*` in the
 * middle is not a glob in Istio; rejecting it avoids a policy that silently matches nothing.
 */
export function patternProblem(pattern: string): string | undefined {
  if (pattern === "") return "is an empty string";
  if (pattern === "*") return undefined;
  const stars = pattern.split("*").length - 1;
  if (stars === 0) return undefined;
  if (stars === 1 && (pattern.startsWith("*") || pattern.endsWith("*"))) return undefined;
  return `is ${JSON.stringify(pattern)}, but "*" is only allowed alone, as a prefix or as a suffix`;
}

/** Whether value matches one pattern. An absent value (unauthenticated) matches nothing. */
export function matchesPattern(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (pattern === "*") return value !== "";
  if (pattern.endsWith("*")) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith("*")) return value.endsWith(pattern.slice(1));
  return value === pattern;
}

/** Whether value matches any of the patterns (values within one field are ORed). */
export function matchesAny(patterns: readonly string[], value: string | undefined): boolean {
  return patterns.some((pattern) => matchesPattern(pattern, value));
}
