import type { Queryable } from "@weft/mesh/data";
import { desc } from "drizzle-orm";
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
  key: { kid: string; generation: number; privateJwk: JWK; publicJwk: JWK },
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
