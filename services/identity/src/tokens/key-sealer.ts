import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { ConfigError } from "@weft/mesh";
import type { JWK } from "jose";

/** The format tag of a sealed key; a new scheme gets a new tag, and old rows stay readable. */
const version = "v1";
const ivBytes = 12;
const tagBytes = 16;

/**
 * Encrypts signing keys at rest with AES-256-GCM under the key-encryption key from the
 * environment (IDENTITY_KEY_ENCRYPTION_KEY, a Secret in Kubernetes): whoever reads the database
 * (a backup, a replica, a leaked dump) gets no key that signs tokens. The key id the row was
 * sealed for is bound in as associated data, so a sealed value cannot be moved to another row.
 * Sealed: `v1.<kek id>.<iv>.<ciphertext>.<tag>`, base64url; the kek id (a hash of the key, not
 * the key) tells an operator which key a row needs.
 */
export class KeySealer {
  /** Names the key-encryption key without revealing it. */
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new RangeError("the key-encryption key must be 32 bytes (AES-256)");
    this.keyId = createHash("sha256").update("weft identity kek id\n").update(key).digest("hex").slice(0, 12);
  }

  seal(kid: string, jwk: JWK): string {
    const iv = randomBytes(ivBytes);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv, { authTagLength: tagBytes });
    cipher.setAAD(Buffer.from(kid, "utf8"));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(jwk), "utf8"), cipher.final()]);
    return [version, this.keyId, iv, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
      .join(".");
  }

  /** The key sealed for `kid`; throws when it was sealed with another key or was tampered with. */
  open(kid: string, sealed: string): JWK {
    const [tag, keyId, iv, ciphertext, authTag, ...rest] = sealed.split(".");
    if (tag !== version || rest.length > 0 || !iv || !ciphertext || !authTag) {
      throw new Error(`signing key ${kid}: not a sealed key this version reads`);
    }
    if (keyId !== this.keyId) {
      throw new Error(`signing key ${kid} was sealed with key-encryption key ${keyId}, not ${this.keyId}`);
    }
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"), {
      authTagLength: tagBytes,
    });
    decipher.setAAD(Buffer.from(kid, "utf8"));
    decipher.setAuthTag(Buffer.from(authTag, "base64url"));
    const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]);
    return JSON.parse(plain.toString("utf8")) as JWK;
  }
}

/**
 * The development key: fixed and public, so it protects nothing — used only when
 * IDENTITY_DEV_KEY_ENCRYPTION=true says so explicitly (`make up`, tests), never by default.
 */
const developmentKey = createHash("sha256").update("weft identity development key-encryption key").digest();

/** The sealer the settings ask for, or a ConfigError naming what to set. */
export function keySealerFrom(settings: { keyEncryptionKey: string; devKeyEncryption: boolean }): {
  sealer: KeySealer;
  development: boolean;
} {
  if (settings.keyEncryptionKey !== "") {
    const key = Buffer.from(settings.keyEncryptionKey, "base64");
    if (key.length !== 32) {
      throw new ConfigError("IDENTITY_KEY_ENCRYPTION_KEY must be 32 bytes in base64 (openssl rand -base64 32)");
    }
    return { sealer: new KeySealer(key), development: false };
  }
  if (settings.devKeyEncryption) return { sealer: new KeySealer(developmentKey), development: true };
  throw new ConfigError(
    "IDENTITY_KEY_ENCRYPTION_KEY must be set (32 bytes in base64, from a Secret) to encrypt the signing keys; " +
      "for local development only, IDENTITY_DEV_KEY_ENCRYPTION=true uses a fixed development key",
  );
}
