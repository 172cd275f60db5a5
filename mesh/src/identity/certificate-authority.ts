import { createPrivateKey, X509Certificate as NodeX509Certificate } from "node:crypto";
import { type CryptoKey, privateKeyFromPem } from "./keys.ts";
import { issueWorkloadCertificate, signWorkloadKey } from "./workload-certificate.ts";
import type { IssueRequest, WorkloadIdentity } from "./workload-identity.ts";
import { X509Certificate } from "./x509.ts";

/** The local mesh's root of trust: it vouches for every workload's SPIFFE id. */
export interface CertificateAuthority {
  /** The root certificate (PEM) every workload trusts. */
  readonly certPem: string;
  /** When the root expires; every leaf expires no later. */
  readonly notAfter: Date;
  /** Issues a short-lived workload certificate (default 24 h) for a SPIFFE id, with a fresh key. */
  issue(request: IssueRequest): Promise<WorkloadIdentity>;
  /**
   * Certifies a key the workload generated and keeps (from its CSR). Whether the requester may
   * have `request.spiffeId` is the caller's decision: the signer checks that before it calls this.
   */
  signKey(publicKey: CryptoKey, request: IssueRequest): Promise<Omit<WorkloadIdentity, "keyPem">>;
  /** Whether `certPem` is a certificate this CA signed (validity dates are not checked here). */
  issued(certPem: string): boolean;
}

/**
 * A CA from its PEM certificate and PKCS#8 key. Throws when they do not belong together, so a
 * half-replaced CA directory fails at start rather than as TLS errors in every peer.
 */
export async function certificateAuthorityFromPem(certPem: string, keyPem: string): Promise<CertificateAuthority> {
  const root = new NodeX509Certificate(certPem);
  if (!root.checkPrivateKey(createPrivateKey(keyPem))) {
    throw new Error("the CA private key does not match the CA certificate");
  }
  const certificate = new X509Certificate(certPem);
  const signer = { certificate, certPem, signingKey: await privateKeyFromPem(keyPem) };
  return {
    certPem,
    notAfter: certificate.notAfter,
    issue: (request) => issueWorkloadCertificate(signer, request),
    signKey: (publicKey, request) => signWorkloadKey(signer, publicKey, request),
    issued(pem) {
      try {
        const leaf = new NodeX509Certificate(pem);
        return leaf.checkIssued(root) && leaf.verify(root.publicKey);
      } catch {
        return false;
      }
    },
  };
}
