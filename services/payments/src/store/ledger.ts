// The ledger is append-only: this module only inserts and reads, and the database refuses any
// UPDATE or DELETE of its rows (drizzle/0001_ledger_append_only.sql).
import { and, eq, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { PaymentsQueryable, PaymentsTransaction } from "./database.ts";
import { ledgerEntries, type PaymentRow, type RefundRow } from "./schema.ts";

/** Books the money a succeeded charge took. */
export async function appendCharge(tx: PaymentsTransaction, payment: PaymentRow): Promise<void> {
  await tx.insert(ledgerEntries).values({
    id: uuidv7(),
    paymentId: payment.id,
    kind: "charge",
    amountMinor: payment.amountMinor,
    currency: payment.currency,
  });
}

/** Books the money a refund gave back. */
export async function appendRefund(tx: PaymentsTransaction, refund: RefundRow): Promise<void> {
  await tx.insert(ledgerEntries).values({
    id: uuidv7(),
    paymentId: refund.paymentId,
    refundId: refund.id,
    kind: "refund",
    amountMinor: refund.amountMinor,
    currency: refund.currency,
  });
}

/** What the ledger says has been refunded of a payment so far. */
export async function refundedFromLedger(db: PaymentsQueryable, paymentId: string): Promise<bigint> {
  const [row] = await db
    .select({ total: sql<bigint>`coalesce(sum(${ledgerEntries.amountMinor}), 0)::bigint`.mapWith(BigInt) })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.paymentId, paymentId), eq(ledgerEntries.kind, "refund")));
  return row?.total ?? 0n;
}
