import { sql } from "drizzle-orm";
import type { AvailabilityUpdate } from "../domain/availability.ts";
import type { Db } from "./products.ts";
import * as schema from "./schema.ts";

const { availability } = schema;

/**
 * Applies an availability update if it is newer than the replica's (see `supersedes`): one
 * upsert whose update only happens when the incoming version is higher, so a stale event is a
 * no-op even when two consumers race.
 */
export async function applyAvailability(db: Db, update: AvailabilityUpdate, now: Date): Promise<void> {
  await db
    .insert(availability)
    .values({ productId: update.productId, available: update.available, version: update.version, updatedAt: now })
    .onConflictDoUpdate({
      target: availability.productId,
      set: { available: sql`excluded.available`, version: sql`excluded.version`, updatedAt: now },
      setWhere: sql`${availability.version} < excluded.version`,
    });
}
