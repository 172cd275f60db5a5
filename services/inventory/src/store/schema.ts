// Inventory's database: stock per product, reservations with their lines, the adjustment audit
// trail (the mesh's outbox, where events are written in the same transaction, is the mesh's own).
import { sql } from "drizzle-orm";
import { bigint, check, foreignKey, index, integer, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/** One row per product ever stocked. The invariants hold in the database, not only in code. */
export const stock = pgTable(
  "stock",
  {
    productId: text("product_id").primaryKey(),
    onHand: bigint("on_hand", { mode: "bigint" }).notNull(),
    reserved: bigint("reserved", { mode: "bigint" }).notNull(),
    /** +1 on every change, so replicas can drop stale events. */
    version: bigint("version", { mode: "bigint" }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    check("stock_on_hand_non_negative", sql`${t.onHand} >= 0`),
    check("stock_reserved_non_negative", sql`${t.reserved} >= 0`),
    check("stock_available_non_negative", sql`${t.onHand} - ${t.reserved} >= 0`),
    check("stock_version_positive", sql`${t.version} > 0`),
  ],
);

export const reservationStates = ["ACTIVE", "RELEASED", "COMMITTED", "EXPIRED", "RESTOCKED"] as const;

export const reservations = pgTable(
  "reservations",
  {
    id: text("id").primaryKey(),
    orderId: text("order_id").notNull(),
    /** Reserve's key: a repeated key finds this row instead of holding stock again. */
    idempotencyKey: text("idempotency_key").notNull().unique("reservations_idempotency_key_unique"),
    state: text("state", { enum: reservationStates }).notNull(),
    expireTime: timestamp("expire_time", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    check("reservations_state_known", sql`${t.state} in ('ACTIVE', 'RELEASED', 'COMMITTED', 'EXPIRED', 'RESTOCKED')`),
    // What the expiry loop scans: only ACTIVE rows, by expire_time.
    index("reservations_active_expiry_idx").on(t.expireTime).where(sql`${t.state} = 'ACTIVE'`),
  ],
);

export const reservationLines = pgTable(
  "reservation_lines",
  {
    reservationId: text("reservation_id").notNull(),
    productId: text("product_id").notNull(),
    quantity: integer("quantity").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.reservationId, t.productId] }),
    foreignKey({
      columns: [t.reservationId],
      foreignColumns: [reservations.id],
      name: "reservation_lines_reservation_fk",
    }),
    check("reservation_lines_quantity_positive", sql`${t.quantity} > 0`),
  ],
);

/**
 * Every AdjustStock that changed stock, with the stock it left behind: the audit trail, and what
 * a repeated idempotency key answers with.
 */
export const adjustments = pgTable(
  "adjustments",
  {
    id: text("id").primaryKey(),
    idempotencyKey: text("idempotency_key").unique("adjustments_idempotency_key_unique"),
    productId: text("product_id").notNull(),
    delta: bigint("delta", { mode: "bigint" }).notNull(),
    reason: text("reason").notNull(),
    onHandAfter: bigint("on_hand_after", { mode: "bigint" }),
    reservedAfter: bigint("reserved_after", { mode: "bigint" }),
    versionAfter: bigint("version_after", { mode: "bigint" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (t) => [check("adjustments_delta_non_zero", sql`${t.delta} <> 0`)],
);
