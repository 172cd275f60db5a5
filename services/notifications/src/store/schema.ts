// The notifications service's database: the notifications themselves (the mesh migrates its
// own outbox/inbox into the same database).
import { sql } from "drizzle-orm";
import { check, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import type { NotificationKindName } from "../domain/notification.ts";

export const notifications = pgTable(
  "notifications",
  {
    id: uuid("id").primaryKey(),
    userId: text("user_id").notNull(),
    /** Null for account notifications (WELCOME). */
    orderId: text("order_id"),
    kind: text("kind").$type<NotificationKindName>().notNull(),
    title: text("title").notNull(),
    body: text("body").notNull(),
    /** The event it was made from, for tracing a notification back to its cause. */
    sourceEventId: text("source_event_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    // Exactly one notification per order and kind: a redelivered or re-emitted event (even with
    // a new event id, which the inbox cannot recognise) is a no-op.
    uniqueIndex("notifications_order_kind_key").on(table.orderId, table.kind),
    // And one welcome per user.
    uniqueIndex("notifications_account_kind_key").on(table.userId, table.kind).where(sql`${table.orderId} is null`),
    // A user's feed, newest first.
    index("notifications_feed_idx").on(table.userId, table.createdAt.desc(), table.id.desc()),
    check(
      "notifications_kind_known",
      sql`${table.kind} in ('WELCOME', 'ORDER_PLACED', 'ORDER_CONFIRMED', 'ORDER_REJECTED', 'ORDER_CANCELLED')`,
    ),
    check("notifications_order_iff_order_kind", sql`(${table.orderId} is null) = (${table.kind} = 'WELCOME')`),
  ],
);
