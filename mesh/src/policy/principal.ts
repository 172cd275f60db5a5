// Istio derives source.namespace from the peer's SPIFFE identity rather than trusting anything
// the caller says, so the local mesh does the same from the verified principal.

const principalShape = /^[^/]+\/ns\/([^/]+)\/sa\/[^/]+$/;

/** "cluster.local/ns/example/sa/billing" → "example"; undefined for no principal or another shape. */
export function namespaceOfPrincipal(principal: string | undefined): string | undefined {
  if (principal === undefined) return undefined;
  return principalShape.exec(principal)?.[1];
}
