/**
 * SPIFFE ids in the shape Istio gives Kubernetes workloads, and the principal form its
 * AuthorizationPolicies use (the id without the `spiffe://` scheme).
 *
 *   spiffe://cluster.local/ns/example/sa/billing   ⇄   cluster.local/ns/example/sa/billing
 */

/** Istio's default trust domain. */
export const defaultTrustDomain = "cluster.local";

/** Who a workload is: the Kubernetes namespace and service account it runs as. */
export interface WorkloadName {
  /** Defaults to `cluster.local`. */
  readonly trustDomain?: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/** A principal taken apart. */
export interface ParsedPrincipal {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

const scheme = "spiffe://";

// SPIFFE trust domains are lowercase letters, digits, dots, dashes and underscores.
const trustDomainPattern = /^[a-z0-9._-]+$/;
// SPIFFE path segments; Kubernetes names are a subset of this.
const segmentPattern = /^[A-Za-z0-9._-]+$/;

function isTrustDomain(value: string): boolean {
  return trustDomainPattern.test(value);
}

function isSegment(value: string): boolean {
  // "." and ".." are valid characters but would make a path that normalizes to another id.
  return segmentPattern.test(value) && value !== "." && value !== "..";
}

/** The SPIFFE id Istio would give the workload; throws on names that cannot form one. */
export function spiffeId({ trustDomain = defaultTrustDomain, namespace, serviceAccount }: WorkloadName): string {
  if (!isTrustDomain(trustDomain)) throw new RangeError(`invalid SPIFFE trust domain: ${JSON.stringify(trustDomain)}`);
  if (!isSegment(namespace)) throw new RangeError(`invalid namespace for a SPIFFE id: ${JSON.stringify(namespace)}`);
  if (!isSegment(serviceAccount)) {
    throw new RangeError(`invalid service account for a SPIFFE id: ${JSON.stringify(serviceAccount)}`);
  }
  return `${scheme}${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

/** Splits `<trust domain>/ns/<namespace>/sa/<service account>`; undefined for anything else. */
export function parsePrincipal(principal: string): ParsedPrincipal | undefined {
  const parts = principal.split("/");
  if (parts.length !== 5) return undefined;
  const [trustDomain, nsKeyword, namespace, saKeyword, serviceAccount] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (nsKeyword !== "ns" || saKeyword !== "sa") return undefined;
  if (!isTrustDomain(trustDomain) || !isSegment(namespace) || !isSegment(serviceAccount)) return undefined;
  return { trustDomain, namespace, serviceAccount };
}

/**
 * The principal (`cluster.local/ns/example/sa/billing`) of a SPIFFE id of Istio's shape, or
 * undefined when `uri` is not one: callers treat undefined as "no identity", so this is strict.
 */
export function principalFromSpiffeId(uri: string): string | undefined {
  if (!uri.startsWith(scheme)) return undefined;
  const principal = uri.slice(scheme.length);
  return parsePrincipal(principal) ? principal : undefined;
}

/** The namespace a principal belongs to (what Istio's `namespaces` policy field matches). */
export function namespaceOfPrincipal(principal: string): string | undefined {
  return parsePrincipal(principal)?.namespace;
}

/** The trust domain a principal belongs to. */
export function trustDomainOfPrincipal(principal: string): string | undefined {
  return parsePrincipal(principal)?.trustDomain;
}
