import type { Queryable } from "@weft/mesh/data";
import { and, desc, eq, isNotNull } from "drizzle-orm";
import type { JWK } from "jose";
import * as schema from "./schema.ts";

export type SigningKeyRow = typeof schema.signingKeys.$inferSelect;
type Db = Queryable<typeof schema>;

export async function newestSigningKey(db: Db): Promise<SigningKeyRow | undefined> {
  const [row] = await db.select().from(schema.signingKeys).orderBy(desc(schema.signingKeys.generation)).limit(1);
  return row;
}

/**
 * Inserts the key as the given generation unless another process already did: the unique
 * generation makes concurrent starts agree on one key. Returns whether this insert won.
 */
export async function insertSigningKeyIfAbsent(
  db: Db,
  key: { kid: string; generation: number; sealedPrivateKey: string; publicJwk: JWK },
): Promise<boolean> {
  const inserted = await db
    .insert(schema.signingKeys)
    .values(key)
    .onConflictDoNothing()
    .returning({ kid: schema.signingKeys.kid });
  return inserted.length > 0;
}

/** The newest keys, newest first: enough history to decide which ones verifiers still need. */
export async function recentSigningKeys(db: Db, limit = 16): Promise<SigningKeyRow[]> {
  return db.select().from(schema.signingKeys).orderBy(desc(schema.signingKeys.generation)).limit(limit);
}

/** Keys written before private keys were sealed: their private JWK sits in plaintext. */
export async function plaintextSigningKeys(db: Db): Promise<Array<{ kid: string; privateJwk: JWK }>> {
  const rows = await db
    .select({ kid: schema.signingKeys.kid, privateJwk: schema.signingKeys.privateJwk })
    .from(schema.signingKeys)
    .where(isNotNull(schema.signingKeys.privateJwk));
  return rows.flatMap((row) => (row.privateJwk === null ? [] : [{ kid: row.kid, privateJwk: row.privateJwk }]));
}

/** Replaces a plaintext private key by its sealed form (a no-op if another replica already did). */
export async function replaceWithSealed(db: Db, kid: string, sealedPrivateKey: string): Promise<void> {
  await db
    .update(schema.signingKeys)
    .set({ sealedPrivateKey, privateJwk: null })
    .where(and(eq(schema.signingKeys.kid, kid), isNotNull(schema.signingKeys.privateJwk)));
}
