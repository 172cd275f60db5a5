// The orders service's database: orders with their priced lines and one persisted saga per
// order (the mesh migrates its own outbox/inbox into the same database).
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

export const orders = pgTable(
  "orders",
  {
    /** UUIDv7: time-ordered, so `id desc` is newest first. */
    id: text("id").primaryKey(),
    userId: text("user_id").notNull(),
    /** The client's PlaceOrder key; null when the client sent none (nulls never collide). */
    idempotencyKey: text("idempotency_key"),
    status: text("status").notNull(),
    statusReason: text("status_reason").notNull().default(""),
    currency: text("currency").notNull(),
    totalMinor: bigint("total_minor", { mode: "bigint" }).notNull(),
    paymentId: text("payment_id").notNull().default(""),
    /** Bumped on every change: what WatchOrder compares to decide whether to send a snapshot. */
    version: integer("version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    uniqueIndex("orders_user_idempotency_key_idx").on(table.userId, table.idempotencyKey),
    index("orders_user_id_idx").on(table.userId, table.id),
    check("orders_status_check", sql`${table.status} in ('PENDING', 'CONFIRMED', 'REJECTED', 'CANCELLED')`),
    check("orders_total_check", sql`${table.totalMinor} > 0`),
    check("orders_currency_check", sql`${table.currency} ~ '^[A-Z]{3}$'`),
  ],
);

export const orderLines = pgTable(
  "order_lines",
  {
    orderId: text("order_id").notNull(),
    /** Position in the order as placed, so lines read back in the customer's order. */
    lineNo: integer("line_no").notNull(),
    productId: text("product_id").notNull(),
    quantity: integer("quantity").notNull(),
    unitPriceMinor: bigint("unit_price_minor", { mode: "bigint" }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.orderId, table.lineNo] }),
    uniqueIndex("order_lines_product_idx").on(table.orderId, table.productId),
    foreignKey({ columns: [table.orderId], foreignColumns: [orders.id] }).onDelete("cascade"),
    check("order_lines_quantity_check", sql`${table.quantity} between 1 and 1000`),
    check("order_lines_price_check", sql`${table.unitPriceMinor} > 0`),
  ],
);

/**
 * The saga of one order: which step is next, when it may run, what it holds (reservation,
 * payment) and who is running it (a lease, so replicas and restarts never run it twice at once).
 */
export const sagas = pgTable(
  "sagas",
  {
    orderId: text("order_id").primaryKey(),
    step: text("step").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull(),
    /** When the current forward step gives up and the saga compensates; null for compensation steps. */
    stepDeadline: timestamp("step_deadline", { withTimezone: true }),
    reservationId: text("reservation_id"),
    reservationState: text("reservation_state").notNull().default("none"),
    paymentId: text("payment_id"),
    paymentState: text("payment_state").notNull().default("none"),
    /** A call of the current step may have taken effect without our hearing the answer. */
    uncertain: boolean("uncertain").notNull().default(false),
    /** A call of the current step was started and its answer not recorded (set before calling). */
    inFlight: boolean("in_flight").notNull().default(false),
    cancelRequested: boolean("cancel_requested").notNull().default(false),
    /** The customer's free-text reason for cancelling, kept for the record. */
    cancelNote: text("cancel_note").notNull().default(""),
    /** Where compensation ends: REJECTED or CANCELLED with this reason. */
    outcomeStatus: text("outcome_status"),
    outcomeReason: text("outcome_reason"),
    /** The opaque provider token, kept only while a charge may still be needed; cleared at the end. */
    paymentMethod: text("payment_method").notNull().default(""),
    lastError: text("last_error").notNull().default(""),
    leaseToken: text("lease_token"),
    leaseUntil: timestamp("lease_until", { withTimezone: true }),
    /**
     * The W3C trace context of the PlaceOrder call that started the saga: the runner works later,
     * in the background, and its step spans join the order's trace through this.
     */
    traceHeaders: jsonb("trace_headers").$type<Record<string, string>>().notNull().default({}),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (table) => [
    foreignKey({ columns: [table.orderId], foreignColumns: [orders.id] }).onDelete("cascade"),
    index("sagas_due_idx").on(table.nextAttemptAt).where(sql`${table.step} <> 'done'`),
    check(
      "sagas_step_check",
      sql`${table.step} in ('reserve', 'charge', 'commit', 'resolve_reserve', 'resolve_charge', 'refund', 'release', 'restock', 'done')`,
    ),
    check(
      "sagas_reservation_state_check",
      sql`${table.reservationState} in ('none', 'held', 'committed', 'released', 'restocked')`,
    ),
    check("sagas_payment_state_check", sql`${table.paymentState} in ('none', 'charged', 'refunded')`),
    check("sagas_attempts_check", sql`${table.attempts} >= 0`),
    check(
      "sagas_outcome_check",
      sql`${table.outcomeStatus} is null or ${table.outcomeStatus} in ('REJECTED', 'CANCELLED')`,
    ),
  ],
);
