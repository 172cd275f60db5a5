/**
 * PKCS#10 certificate signing requests: how a workload asks for a certificate without the CA's
 * key ever leaving the signer, and without its own key ever leaving the workload.
 */
import { type CryptoKey, type CryptoKeyPair, ecdsaP256, ecdsaWithSha256, webCrypto } from "./keys.ts";
import {
  Pkcs10CertificateRequest,
  Pkcs10CertificateRequestGenerator,
  SubjectAlternativeNameExtension,
} from "./x509.ts";

/** A CSR for `spiffeId` (its single URI SAN), signed by the key pair it asks to certify. */
export async function createCsr(spiffeId: string, keys: CryptoKeyPair): Promise<string> {
  const csr = await Pkcs10CertificateRequestGenerator.create(
    {
      name: "O=Weft local mesh",
      keys,
      signingAlgorithm: ecdsaWithSha256,
      extensions: [new SubjectAlternativeNameExtension([{ type: "url", value: spiffeId }])],
    },
    webCrypto,
  );
  return csr.toString("pem");
}

/** What a verified CSR asks for. */
export interface VerifiedCsr {
  /** The one SPIFFE id it requests. */
  readonly spiffeId: string;
  /** The key to certify; the CSR's own signature proved the requester holds its private half. */
  readonly publicKey: CryptoKey;
  /** The request in DER, which a renewal's proof signs. */
  readonly der: Buffer;
}

/** Why a CSR was not accepted, in words the requester can act on. */
export class CsrError extends Error {
  override readonly name = "CsrError";
}

/**
 * Parses and verifies a CSR from an untrusted requester: its self-signature, an ECDSA P-256 key
 * (the only kind the mesh issues) and exactly one URI SAN. Anything else is a CsrError.
 */
export async function verifyCsr(pem: string): Promise<VerifiedCsr> {
  let csr: Pkcs10CertificateRequest;
  try {
    csr = new Pkcs10CertificateRequest(pem);
  } catch {
    throw new CsrError("not a PEM PKCS#10 certificate request");
  }
  const algorithm = csr.publicKey.algorithm as { name?: string; namedCurve?: string };
  if (algorithm.name !== "ECDSA" || algorithm.namedCurve !== "P-256") {
    throw new CsrError("the CSR's key must be ECDSA P-256");
  }
  if (!(await csr.verify(webCrypto).catch(() => false))) {
    throw new CsrError("the CSR's signature does not verify with its own key");
  }
  const uris = csr.extensions
    .filter((extension) => extension instanceof SubjectAlternativeNameExtension)
    .flatMap((extension) => extension.names.items)
    .filter((name) => name.type === "url")
    .map((name) => name.value);
  const [spiffeId] = uris;
  if (uris.length !== 1 || spiffeId === undefined) throw new CsrError("the CSR must ask for exactly one URI SAN");
  return {
    spiffeId,
    publicKey: await csr.publicKey.export(ecdsaP256, ["verify"], webCrypto),
    der: Buffer.from(csr.rawData),
  };
}
