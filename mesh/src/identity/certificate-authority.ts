import { createPrivateKey, X509Certificate as NodeX509Certificate } from "node:crypto";
import { privateKeyFromPem } from "./keys.ts";
import { issueWorkloadCertificate } from "./workload-certificate.ts";
import type { IssueRequest, WorkloadIdentity } from "./workload-identity.ts";
import { X509Certificate } from "./x509.ts";

/** The local mesh's root of trust: it vouches for every workload's SPIFFE id. */
export interface CertificateAuthority {
  /** The root certificate (PEM) every workload trusts. */
  readonly certPem: string;
  /** When the root expires; every leaf expires no later. */
  readonly notAfter: Date;
  /** Issues a short-lived workload certificate (default 24 h) for a SPIFFE id. */
  issue(request: IssueRequest): Promise<WorkloadIdentity>;
}

/**
 * A CA from its PEM certificate and PKCS#8 key. Throws when they do not belong together, so a
 * half-replaced CA directory fails at start rather than as TLS errors in every peer.
 */
export async function certificateAuthorityFromPem(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  if (!new NodeX509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))) {
    throw new Error("the CA private key does not match the CA certificate");
  }
  const certificate = new X509Certificate(certPem);
  const signer = { certificate, certPem, signingKey: await privateKeyFromPem(keyPem) };
  return {
    certPem,
    notAfter: certificate.notAfter,
    issue: (request) => issueWorkloadCertificate(signer, request),
  };
}
