import { loadOrCreateCa } from "./ca-store.ts";
import type { CertificateAuthority } from "./certificate-authority.ts";
import { verifyCsr } from "./csr.ts";

/** What a workload sends to get (or renew) its certificate. */
export interface SignRequest {
  /** A PEM CSR for the workload's SPIFFE id, signed by the new key. */
  readonly csrPem: string;
  /**
   * The certificate being renewed and its key, when there is one: a remote signer takes a
   * signature by that key as the proof of who is asking (the bootstrap token is spent by then).
   */
  readonly current?: { readonly certPem: string; readonly keyPem: string };
}

/** A certificate for the CSR's key, and the root to verify peers against. */
export interface SignedCertificate {
  readonly certPem: string;
  readonly caPem: string;
}

/**
 * Where a workload's certificates come from. A workload started from its environment asks the
 * launcher's signer (`signerIssuer`); a program that holds the CA itself — tests, benchmarks, the
 * launcher's own mesh — signs in-process (`localCaIssuer`).
 */
export interface CertificateIssuer {
  sign(request: SignRequest): Promise<SignedCertificate>;
}

export interface LocalIssuerOptions {
  /** Lifetime of each certificate; default 24 h. Tests of renewal use seconds. */
  readonly ttlMs?: number;
}

/**
 * Signs any CSR with a CA this process holds: the CA in `source` (a directory, loaded or
 * created on first use, or a loaded CA). Only for programs that are the CA's owner: it grants
 * whatever identity the CSR asks for.
 */
export function localCaIssuer(
  source: string | CertificateAuthority,
  options: LocalIssuerOptions = {},
): CertificateIssuer {
  let ca: Promise<CertificateAuthority> | undefined;
  return {
    async sign(request) {
      ca ??= typeof source === "string" ? loadOrCreateCa(source) : Promise.resolve(source);
      const authority = await ca;
      const csr = await verifyCsr(request.csrPem);
      const signed = await authority.signKey(csr.publicKey, {
        spiffeId: csr.spiffeId,
        ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
      });
      return { certPem: signed.certPem, caPem: signed.caPem };
    },
  };
}
