// The payments database. Money is bigint minor units plus an ISO 4217 code. The invariants that
// must hold whatever the code does live here as constraints: one payment per idempotency key
// (claimed as a pending row before the provider is asked, so two requests never both ask),
// one refund per idempotency key, never more refunded than charged, a ledger that is only ever
// appended to (the trigger is in drizzle/0001_ledger_append_only.sql: drizzle-kit cannot express it).
import { sql } from "drizzle-orm";
import { bigint, check, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

export const payments = pgTable(
  "payments",
  {
    id: uuid("id").primaryKey(),
    orderId: text("order_id").notNull(),
    amountMinor: bigint("amount_minor", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    /**
     * `pending` while a request holds the key and asks the provider; then what the provider
     * said: `succeeded` or `failed`. The refund state is derived from the ledger.
     */
    outcome: text("outcome", { enum: ["pending", "succeeded", "failed"] }).notNull(),
    failureReason: text("failure_reason"),
    /** Sum of this payment's refund ledger entries, kept in the transaction that appends them. */
    refundedMinor: bigint("refunded_minor", { mode: "bigint" }).notNull().default(sql`0`),
    idempotencyKey: text("idempotency_key").notNull(),
    /** SHA-256 of the request the key was first used with: a different request under it is refused. */
    requestHash: text("request_hash").notNull(),
    /**
     * While pending: until when the request that claimed the key is trusted to be at the provider.
     * Past it (that process crashed), another request with the key may take the claim over.
     */
    claimExpiresAt: timestamp("claim_expires_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("payments_idempotency_key_uq").on(t.idempotencyKey),
    index("payments_order_id_idx").on(t.orderId),
    check("payments_amount_positive", sql`${t.amountMinor} > 0`),
    check("payments_currency_iso", sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check("payments_outcome_known", sql`${t.outcome} in ('pending', 'succeeded', 'failed')`),
    check("payments_claim_while_pending", sql`(${t.outcome} = 'pending') = (${t.claimExpiresAt} is not null)`),
    check("payments_failure_reason", sql`(${t.outcome} = 'failed') = (${t.failureReason} is not null)`),
    check(
      "payments_refunded_within_amount",
      sql`${t.refundedMinor} >= 0 and ${t.refundedMinor} <= ${t.amountMinor} and (${t.outcome} = 'succeeded' or ${t.refundedMinor} = 0)`,
    ),
  ],
);

export const refunds = pgTable(
  "refunds",
  {
    id: uuid("id").primaryKey(),
    paymentId: uuid("payment_id")
      .notNull()
      .references(() => payments.id),
    amountMinor: bigint("amount_minor", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    reason: text("reason").notNull(),
    /** The payment's refunded total right after this refund: what a replay of the key answers. */
    refundedAfterMinor: bigint("refunded_after_minor", { mode: "bigint" }).notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    requestHash: text("request_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("refunds_idempotency_key_uq").on(t.idempotencyKey),
    index("refunds_payment_id_idx").on(t.paymentId),
    check("refunds_amount_positive", sql`${t.amountMinor} > 0`),
    check("refunds_refunded_after", sql`${t.refundedAfterMinor} >= ${t.amountMinor}`),
  ],
);

/**
 * Every movement of money, appended and never changed: a charge entry when a charge succeeds, a
 * refund entry per refund. A database trigger refuses UPDATE, DELETE and TRUNCATE.
 */
export const ledgerEntries = pgTable(
  "ledger_entries",
  {
    id: uuid("id").primaryKey(),
    paymentId: uuid("payment_id")
      .notNull()
      .references(() => payments.id),
    refundId: uuid("refund_id").references(() => refunds.id),
    kind: text("kind", { enum: ["charge", "refund"] }).notNull(),
    amountMinor: bigint("amount_minor", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("ledger_entries_payment_id_idx").on(t.paymentId),
    // A payment is charged at most once, and a refund is booked at most once.
    uniqueIndex("ledger_entries_one_charge_uq").on(t.paymentId).where(sql`${t.kind} = 'charge'`),
    uniqueIndex("ledger_entries_refund_uq").on(t.refundId),
    check("ledger_entries_kind_known", sql`${t.kind} in ('charge', 'refund')`),
    check("ledger_entries_refund_link", sql`(${t.kind} = 'refund') = (${t.refundId} is not null)`),
    check("ledger_entries_amount_positive", sql`${t.amountMinor} > 0`),
  ],
);

export type PaymentRow = typeof payments.$inferSelect;
export type RefundRow = typeof refunds.$inferSelect;
