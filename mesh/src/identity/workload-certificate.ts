import { type CryptoKey, ecdsaWithSha256, generateKeyPair, privateKeyToPem, webCrypto } from "./keys.ts";
import { clockSkewMs } from "./root-certificate.ts";
import { randomSerialNumber } from "./serial-number.ts";
import { principalFromSpiffeId } from "./spiffe.ts";
import type { IssueRequest, WorkloadIdentity } from "./workload-identity.ts";
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  type JsonGeneralName,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  type X509Certificate,
  X509CertificateGenerator,
} from "./x509.ts";

/** Istio's default workload certificate lifetime. */
export const defaultWorkloadTtlMs = 24 * 60 * 60 * 1000;

/** The CA material needed to sign a leaf. */
export interface Signer {
  readonly certificate: X509Certificate;
  readonly certPem: string;
  readonly signingKey: CryptoKey;
}

/** Generates a key pair and signs it into a workload certificate (for a program that holds the CA itself). */
export async function issueWorkloadCertificate(
  signer: Signer,
  request: IssueRequest,
  now: Date = new Date(),
): Promise<WorkloadIdentity> {
  const keys = await generateKeyPair();
  const signed = await signWorkloadKey(signer, keys.publicKey, request, now);
  return { ...signed, keyPem: await privateKeyToPem(keys.privateKey) };
}

/**
 * Signs a workload's public key into a certificate identified by its URI SAN, like Istio's: the
 * one place leaves are built, whether the CA generated the key or a workload sent it in a CSR.
 */
export async function signWorkloadKey(
  signer: Signer,
  publicKey: CryptoKey,
  request: IssueRequest,
  now: Date = new Date(),
): Promise<Omit<WorkloadIdentity, "keyPem">> {
  const principal = principalFromSpiffeId(request.spiffeId);
  if (principal === undefined) {
    throw new RangeError(`not a SPIFFE id of the form spiffe://<trust domain>/ns/<ns>/sa/<sa>: ${request.spiffeId}`);
  }
  const ttlMs = request.ttlMs ?? defaultWorkloadTtlMs;
  const notBefore = new Date(now.getTime() - clockSkewMs);
  // A leaf must not outlive the CA that vouches for it.
  const notAfter = new Date(Math.min(now.getTime() + ttlMs, signer.certificate.notAfter.getTime()));
  if (!Number.isFinite(ttlMs) || notAfter.getTime() <= notBefore.getTime()) {
    throw new RangeError(`ttlMs must be a number greater than -${clockSkewMs} (got ${ttlMs})`);
  }

  const names: JsonGeneralName[] = [
    { type: "url", value: request.spiffeId },
    ...uniqueDnsNames(request.dnsNames ?? []).map((value): JsonGeneralName => ({ type: "dns", value })),
    { type: "ip", value: "127.0.0.1" },
  ];
  const certificate = await X509CertificateGenerator.create(
    {
      serialNumber: randomSerialNumber(),
      // Like Istio: the identity is the URI SAN alone; the subject only helps people reading the cert.
      subject: "O=Weft local mesh",
      issuer: signer.certificate.subject,
      notBefore,
      notAfter,
      publicKey,
      signingKey: signer.signingKey,
      signingAlgorithm: ecdsaWithSha256,
      extensions: [
        new BasicConstraintsExtension(false, undefined, true),
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
        new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth, ExtendedKeyUsage.clientAuth]),
        new SubjectAlternativeNameExtension(names),
        await SubjectKeyIdentifierExtension.create(publicKey, false, webCrypto),
        await AuthorityKeyIdentifierExtension.create(signer.certificate.publicKey, false, webCrypto),
      ],
    },
    webCrypto,
  );
  return {
    spiffeId: request.spiffeId,
    principal,
    certPem: certificate.toString("pem"),
    caPem: signer.certPem,
    notAfter,
  };
}

function uniqueDnsNames(extra: readonly string[]): string[] {
  return [...new Set(["localhost", ...extra])];
}
