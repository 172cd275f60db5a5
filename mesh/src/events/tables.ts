import { sql } from "drizzle-orm";
import { customType, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

const bytes = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => "bytea" });

/**
 * Events a service has committed but not yet published: written in the same transaction as the
 * state change they describe, so an event exists if and only if the change does. The mesh
 * creates it (mesh/drizzle) in every service's database: services leave it out of their schema.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: uuid("id").primaryKey(),
    /** The protobuf type of the payload, also the NATS subject: `example.billing.v1.InvoicePaid`. */
    type: text("type").notNull(),
    /** What the event is about (CloudEvents `subject`), e.g. the order id. */
    subject: text("subject").notNull(),
    payload: bytes("payload").notNull(),
    /** Trace context of the transaction that wrote the event, carried into the published message. */
    traceHeaders: jsonb("trace_headers").$type<Record<string, string>>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    publishedAt: timestamp("published_at", { withTimezone: true }),
    /**
     * Not before this time may a relay take the row. Set when the writing process publishes its
     * events itself right after commit (and marks them published): relays leave those rows alone
     * unless that process died first. Null, the usual: at once.
     */
    relayAfter: timestamp("relay_after", { withTimezone: true }),
  },
  (table) => [index("outbox_unpublished_idx").on(table.createdAt).where(sql`${table.publishedAt} is null`)],
);

/**
 * Events a consumer has already applied: the row is inserted in the same transaction as the
 * consumer's effect, so a redelivered event finds it and is acknowledged without effect.
 */
export const inbox = pgTable(
  "inbox",
  {
    consumer: text("consumer").notNull(),
    eventId: text("event_id").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.consumer, table.eventId] })],
);
