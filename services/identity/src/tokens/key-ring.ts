import type { Database } from "@weft/mesh/data";
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { type KeyGeneration, rotationDue, stillPublished } from "../domain/key-rotation.ts";
import type * as schema from "../store/schema.ts";
import {
  insertSigningKeyIfAbsent,
  newestSigningKey,
  plaintextSigningKeys,
  recentSigningKeys,
  replaceWithSealed,
  type SigningKeyRow,
} from "../store/signing-keys.ts";
import type { KeySealer } from "./key-sealer.ts";

export const signingAlgorithm = "ES256";

export interface KeyRingOptions {
  /** Seals private keys before they are stored, and opens them to sign. */
  sealer: KeySealer;
  /** Age at which the signing key is replaced. */
  rotateAfterMs: number;
  /** How long a retired key stays published: the token lifetime plus a margin. */
  graceMs: number;
  /** How often a replica re-reads which key signs, to follow a rotation done by another replica. */
  refreshMs?: number;
}

export interface SigningKey {
  readonly kid: string;
  readonly key: CryptoKey | Uint8Array;
}

/**
 * The service's ES256 signing keys, kept in its database so every replica and every restart
 * signs with the same key, and a rotation is a new row, not a new process. Private keys are
 * stored sealed with the key-encryption key; only this process's memory holds them in the clear.
 */
export class KeyRing {
  private signing: { key: SigningKey; readAt: number } | undefined;

  constructor(
    private readonly db: Database<typeof schema>,
    private readonly options: KeyRingOptions,
  ) {}

  /**
   * Creates the first key, or the next generation when the newest is due for rotation. Safe to
   * run from several replicas at once: all of them end up signing with the same key.
   */
  async rotateIfDue(now = new Date()): Promise<void> {
    const newest = await newestSigningKey(this.db);
    if (!rotationDue(newest, now, this.options.rotateAfterMs)) return;
    const { publicKey, privateKey } = await generateKeyPair(signingAlgorithm, { extractable: true });
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), use: "sig", alg: signingAlgorithm };
    const kid = await calculateJwkThumbprint(publicJwk);
    const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid, use: "sig", alg: signingAlgorithm };
    await insertSigningKeyIfAbsent(this.db, {
      kid,
      generation: (newest?.generation ?? 0) + 1,
      publicJwk: { ...publicJwk, kid },
      sealedPrivateKey: this.options.sealer.seal(kid, privateJwk),
    });
    this.signing = undefined;
  }

  /**
   * Seals the private keys of rows written before keys were sealed, and clears their plaintext.
   * Runs at start; safe from several replicas at once. Returns how many it sealed.
   */
  async sealPlaintextKeys(): Promise<number> {
    const plaintext = await plaintextSigningKeys(this.db);
    for (const { kid, privateJwk } of plaintext) {
      await replaceWithSealed(this.db, kid, this.options.sealer.seal(kid, privateJwk));
    }
    return plaintext.length;
  }

  /** The key that signs now: the newest generation. */
  async signingKey(): Promise<SigningKey> {
    const refreshMs = this.options.refreshMs ?? 60_000;
    if (this.signing === undefined || Date.now() - this.signing.readAt > refreshMs) {
      const newest = await newestSigningKey(this.db);
      if (newest === undefined) throw new Error("no signing key: rotateIfDue() runs at start");
      const key = await importJWK(this.privateJwkOf(newest), signingAlgorithm);
      this.signing = { key: { kid: newest.kid, key }, readAt: Date.now() };
    }
    return this.signing.key;
  }

  /** The private key of a row: opened from its sealed form (or, written by an older replica, as stored). */
  private privateJwkOf(row: SigningKeyRow): JWK {
    if (row.sealedPrivateKey !== null) return this.options.sealer.open(row.kid, row.sealedPrivateKey);
    if (row.privateJwk !== null) return row.privateJwk;
    throw new Error(`signing key ${row.kid} has no private key`);
  }

  /** The public keys verifiers need: the signer and the retired keys within their grace period. */
  async publicKeys(now = new Date()): Promise<JWK[]> {
    const keys: Array<KeyGeneration & { publicJwk: JWK }> = await recentSigningKeys(this.db);
    return stillPublished(keys, now, this.options.graceMs).map((key) => key.publicJwk);
  }
}
