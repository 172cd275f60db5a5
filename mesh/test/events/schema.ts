// The schema of the events tests' scratch service: the mesh's outbox and inbox plus one table of
// state a producer changes and one a consumer changes.
import { integer, pgTable, text } from "drizzle-orm/pg-core";

export { inbox, outbox } from "../../src/events/tables.ts";

export const things = pgTable("things", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
});

export const sightings = pgTable("sightings", {
  thingId: text("thing_id").primaryKey(),
  count: integer("count").notNull(),
});
