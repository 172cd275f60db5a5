import { ecdsaWithSha256, generateKeyPair, privateKeyToPem, webCrypto } from "./keys.ts";
import { randomSerialNumber } from "./serial-number.ts";
import {
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from "./x509.ts";

/** The subject of the local root; workloads never see it, people inspecting certs do. */
export const rootSubject = "O=Weft local mesh, CN=Weft local mesh root CA";

/** About a year: long enough for a laptop, short enough that a forgotten key ages out. */
export const rootValidityMs = 365 * 24 * 60 * 60 * 1000;

/** Backdating covers clocks of processes (or VMs) that run slightly behind ours. */
export const clockSkewMs = 60 * 1000;

export interface RootCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A fresh self-signed ECDSA P-256 root that may sign workload certificates (and nothing under them). */
export async function createRootCertificate(now: Date = new Date()): Promise<RootCertificate> {
  const keys = await generateKeyPair();
  const certificate = await X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerialNumber(),
      name: rootSubject,
      notBefore: new Date(now.getTime() - clockSkewMs),
      notAfter: new Date(now.getTime() + rootValidityMs),
      keys,
      signingAlgorithm: ecdsaWithSha256,
      extensions: [
        // pathLength 0: the root signs leaves directly; no intermediate may be minted from it.
        new BasicConstraintsExtension(true, 0, true),
        new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
        await SubjectKeyIdentifierExtension.create(keys.publicKey, false, webCrypto),
      ],
    },
    webCrypto,
  );
  return { certPem: certificate.toString("pem"), keyPem: await privateKeyToPem(keys.privateKey) };
}
