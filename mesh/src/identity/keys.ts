/** ECDSA P-256 key pairs through Node's WebCrypto, and their PKCS#8 PEM form. */

import type { webcrypto } from "node:crypto";
import { PemConverter } from "./x509.ts";

/** The WebCrypto implementation every identity module uses (Node's, not a polyfill). */
export const webCrypto: webcrypto.Crypto = globalThis.crypto;

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

export const ecdsaP256: webcrypto.EcKeyGenParams & webcrypto.EcKeyImportParams = {
  name: "ECDSA",
  namedCurve: "P-256",
};

/** A signing algorithm matching the keys: ECDSA with SHA-256 (what Istio's CA uses for EC keys). */
export const ecdsaWithSha256: webcrypto.EcdsaParams = { name: "ECDSA", hash: "SHA-256" };

/** A fresh key pair; extractable because the private key is written out as PEM for TLS. */
export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return webCrypto.subtle.generateKey(ecdsaP256, true, ["sign", "verify"]);
}

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const pkcs8 = await webCrypto.subtle.exportKey("pkcs8", key);
  return PemConverter.encode(pkcs8, "PRIVATE KEY");
}

/** Imports a PKCS#8 PEM private key for signing (the CA key read back from disk). */
export async function privateKeyFromPem(pem: string): Promise<CryptoKey> {
  return webCrypto.subtle.importKey("pkcs8", PemConverter.decodeFirst(pem), ecdsaP256, false, ["sign"]);
}
