import { X509Certificate } from "node:crypto";
import type { experimental } from "@grpc/grpc-js";
import type { Logger } from "../telemetry/index.ts";
import { createCsr } from "./csr.ts";
import type { CertificateIssuer } from "./issuer.ts";
import { generateKeyPair, privateKeyToPem, webCrypto } from "./keys.ts";
import { principalFromSpiffeId } from "./spiffe.ts";
import { uriOfSubjectAltNames } from "./subject-alt-names.ts";
import type { WorkloadIdentity } from "./workload-identity.ts";

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

export interface WorkloadCertificatesOptions {
  /** The workload's SPIFFE id; every certificate obtained must carry exactly this one. */
  readonly spiffeId: string;
  readonly issuer: CertificateIssuer;
  /** Renew once this fraction of a certificate's lifetime has passed; default 2/3 (like Istio's agent). */
  readonly renewAfter?: number;
  readonly logger?: Pick<Logger, "info" | "warn" | "error">;
}

/**
 * A workload's certificate, kept fresh: obtained from the issuer at start with a key generated
 * here (only a CSR leaves the process), renewed with a new key before it expires, and handed to
 * grpc-js as a certificate provider. Servers and channels built on it pick up each renewal for
 * their next handshakes; connections already open keep going, so no call is dropped.
 */
export class WorkloadCertificates implements experimental.CertificateProvider {
  private identity: WorkloadIdentity;
  private issuedAt: number;
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private closed = false;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();

  private readonly options: WorkloadCertificatesOptions;

  private constructor(options: WorkloadCertificatesOptions, first: WorkloadIdentity) {
    this.options = options;
    this.identity = first;
    this.issuedAt = Date.now();
    this.schedule();
  }

  /** Obtains the first certificate; throws when the issuer refuses, so a workload without an identity does not start. */
  static async obtain(options: WorkloadCertificatesOptions): Promise<WorkloadCertificates> {
    return new WorkloadCertificates(options, await request(options, undefined));
  }

  /** The certificate in use now. */
  get current(): WorkloadIdentity {
    return this.identity;
  }

  /** Replaces the certificate now (the timer calls this; so may a test). Concurrent calls share one renewal. */
  renew(): Promise<void> {
    this.renewing ??= (async () => {
      try {
        const next = await request(this.options, this.identity);
        if (this.closed) return;
        this.identity = next;
        this.issuedAt = Date.now();
        this.options.logger?.info({ principal: next.principal, not_after: next.notAfter }, "certificate renewed");
        for (const listener of this.caListeners) listener(this.caUpdate());
        for (const listener of this.identityListeners) listener(this.identityUpdate());
        this.schedule();
      } finally {
        this.renewing = undefined;
      }
    })();
    return this.renewing;
  }

  /** Stops renewing (the certificate in use stays valid until it expires). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    const lifetime = this.identity.notAfter.getTime() - this.issuedAt;
    const due = this.issuedAt + lifetime * (this.options.renewAfter ?? 2 / 3);
    this.timer = setTimeout(() => this.renewOrRetry(), Math.max(0, due - Date.now()));
    // Renewal alone must not keep a process alive that has nothing else to do.
    this.timer.unref();
  }

  private renewOrRetry(): void {
    this.renew().catch((error: unknown) => {
      if (this.closed) return;
      const remaining = this.identity.notAfter.getTime() - Date.now();
      // Try again well before expiry; once expired, keep trying at a calm pace.
      const retryInMs = remaining > 0 ? Math.min(30_000, Math.max(100, remaining / 5)) : 5_000;
      const level = remaining > 0 ? "warn" : "error";
      this.options.logger?.[level](
        { err: error, retry_in_ms: Math.round(retryInMs), expires_in_ms: remaining },
        remaining > 0 ? "certificate renewal failed" : "certificate expired and renewal keeps failing",
      );
      this.timer = setTimeout(() => this.renewOrRetry(), retryInMs);
      this.timer.unref();
    });
  }

  private caUpdate(): experimental.CaCertificateUpdate {
    return { caCertificate: Buffer.from(this.identity.caPem) };
  }

  private identityUpdate(): experimental.IdentityCertificateUpdate {
    return { certificate: Buffer.from(this.identity.certPem), privateKey: Buffer.from(this.identity.keyPem) };
  }

  // grpc-js's CertificateProvider. The first update must arrive asynchronously: grpc-js's server
  // registers its own watcher only after adding these listeners (its file-watcher provider uses
  // process.nextTick the same way).
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    process.nextTick(listener, this.caUpdate());
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    process.nextTick(listener, this.identityUpdate());
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }
}

/** One round trip to the issuer, and a check of what came back before it is used. */
async function request(
  options: WorkloadCertificatesOptions,
  current: WorkloadIdentity | undefined,
): Promise<WorkloadIdentity> {
  const keys = await generateKeyPair();
  const csrPem = await createCsr(options.spiffeId, keys);
  const signed = await options.issuer.sign({
    csrPem,
    ...(current ? { current: { certPem: current.certPem, keyPem: current.keyPem } } : {}),
  });
  const leaf = new X509Certificate(signed.certPem);
  const root = new X509Certificate(signed.caPem);
  const spki = Buffer.from(await webCrypto.subtle.exportKey("spki", keys.publicKey));
  const problem = !(leaf.checkIssued(root) && leaf.verify(root.publicKey))
    ? "is not signed by the root it came with"
    : uriOfSubjectAltNames(leaf.subjectAltName) !== options.spiffeId
      ? `is not for ${options.spiffeId}`
      : !leaf.publicKey.export({ type: "spki", format: "der" }).equals(spki)
        ? "certifies another key than the one this workload asked for"
        : Date.parse(leaf.validTo) <= Date.now()
          ? "has already expired"
          : undefined;
  if (problem !== undefined) throw new Error(`the certificate issued to this workload ${problem}`);
  const principal = principalFromSpiffeId(options.spiffeId);
  if (principal === undefined) throw new RangeError(`not a mesh SPIFFE id: ${options.spiffeId}`);
  return {
    spiffeId: options.spiffeId,
    principal,
    certPem: signed.certPem,
    keyPem: await privateKeyToPem(keys.privateKey),
    caPem: signed.caPem,
    notAfter: new Date(leaf.validTo),
  };
}
