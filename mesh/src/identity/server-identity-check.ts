import type { PeerCertificate } from "node:tls";
import { principalFromSpiffeId, trustDomainOfPrincipal } from "./spiffe.ts";
import { uriOfSubjectAltNames } from "./subject-alt-names.ts";

/** Node's `checkServerIdentity` contract: an Error rejects the connection, undefined accepts. */
export type ServerIdentityCheck = (hostname: string, certificate: PeerCertificate) => Error | undefined;

/**
 * Checks the server the way Istio's sidecars do: by the SPIFFE id in its URI SAN, not by the
 * hostname dialled (a DNS name or IP says nothing about which workload answered). The chain
 * itself was already verified against the mesh CA by TLS before this runs.
 */
export function serverIdentityCheck(trustDomain: string, allowedPrincipals?: readonly string[]): ServerIdentityCheck {
  const allowed = allowedPrincipals === undefined ? undefined : new Set(allowedPrincipals);
  return (_hostname, certificate) => {
    const uri = uriOfSubjectAltNames(certificate.subjectaltname);
    const principal = uri === undefined ? undefined : principalFromSpiffeId(uri);
    if (principal === undefined) {
      return new Error(
        "mesh mTLS: the server certificate carries no SPIFFE id (one URI SAN of the form spiffe://<td>/ns/<ns>/sa/<sa>)",
      );
    }
    if (trustDomainOfPrincipal(principal) !== trustDomain) {
      return new Error(`mesh mTLS: server ${principal} is outside trust domain ${trustDomain}`);
    }
    if (allowed !== undefined && !allowed.has(principal)) {
      return new Error(`mesh mTLS: server ${principal} is not one of the expected principals`);
    }
    return undefined;
  };
}
