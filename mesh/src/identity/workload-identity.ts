/** What a workload needs to speak mTLS in the mesh: its certificate, key and the roots it trusts. */
export interface WorkloadIdentity {
  /** `spiffe://cluster.local/ns/<namespace>/sa/<service account>`: the certificate's URI SAN. */
  readonly spiffeId: string;
  /** The same identity as Istio policies spell it: `cluster.local/ns/<namespace>/sa/<service account>`. */
  readonly principal: string;
  /** The leaf certificate (PEM). */
  readonly certPem: string;
  /** Its ECDSA P-256 private key (PKCS#8 PEM). */
  readonly keyPem: string;
  /** The CA certificate peers are verified against (PEM). */
  readonly caPem: string;
  /** When the certificate expires; reissue before then. */
  readonly notAfter: Date;
}

/** What to put in a workload certificate. */
export interface IssueRequest {
  /** The workload's SPIFFE id, e.g. from `spiffeId({ namespace: "example", serviceAccount: "billing" })`. */
  readonly spiffeId: string;
  /** Extra DNS SANs; `localhost` (and IP 127.0.0.1) are always included for loopback clients. */
  readonly dnsNames?: readonly string[];
  /**
   * Lifetime from now, default 24 h like Istio's workload certificates. Zero or negative values
   * (down to minus the one minute of backdating) give an already expired certificate, for tests.
   */
  readonly ttlMs?: number;
}
