// The schema of the events tests' scratch service: the mesh's outbox and inbox plus one table of
// state a producer changes and one a consumer changes.
import { eq, sql } from "drizzle-orm";
import { integer, pgTable, text } from "drizzle-orm/pg-core";
import type { Queryable, Transaction } from "../../src/data/index.ts";

export { inbox, outbox } from "../../src/events/tables.ts";

export const things = pgTable("things", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
});

export const sightings = pgTable("sightings", {
  thingId: text("thing_id").primaryKey(),
  count: integer("count").notNull(),
});

type Schema = { sightings: typeof sightings };

/** What the tests' consumers do with an event: count one more sighting of its thing. */
export async function sight(tx: Transaction<Schema>, thingId: string): Promise<void> {
  await tx
    .insert(sightings)
    .values({ thingId, count: 1 })
    .onConflictDoUpdate({ target: sightings.thingId, set: { count: sql`${sightings.count} + 1` } });
}

/** How many times a thing was sighted (undefined: never). */
export async function sightingsOf(db: Queryable<Schema>, thingId: string): Promise<number | undefined> {
  const rows = await db.select().from(sightings).where(eq(sightings.thingId, thingId));
  return rows[0]?.count;
}
