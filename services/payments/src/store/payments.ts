import { and, eq, sql } from "drizzle-orm";
import type { SettledOutcome } from "../domain/payment.ts";
import type { PaymentsQueryable, PaymentsTransaction } from "./database.ts";
import { type PaymentRow, payments } from "./schema.ts";

export async function findPayment(db: PaymentsQueryable, id: string): Promise<PaymentRow | undefined> {
  const [row] = await db.select().from(payments).where(eq(payments.id, id));
  return row;
}

export async function findPaymentByKey(db: PaymentsQueryable, idempotencyKey: string): Promise<PaymentRow | undefined> {
  const [row] = await db.select().from(payments).where(eq(payments.idempotencyKey, idempotencyKey));
  return row;
}

export type NewClaim = Pick<
  typeof payments.$inferInsert,
  "id" | "orderId" | "amountMinor" | "currency" | "idempotencyKey" | "requestHash"
>;

/**
 * Claims the idempotency key for one request, committed before the provider is asked: inserts a
 * pending payment, or takes over a pending one whose claim lapsed (the process holding it died)
 * if it was made for the same request. Returns the row the caller now holds — its
 * `claimExpiresAt` identifies this claim — or undefined when the key is held or settled.
 */
export async function claimPayment(
  db: PaymentsQueryable,
  claim: NewClaim,
  claimMs: number,
): Promise<PaymentRow | undefined> {
  // Whole milliseconds, so the expiry read back into a JS Date compares equal to the stored one.
  const expiry = sql`date_trunc('milliseconds', now()) + ${claimMs} * interval '1 millisecond'`;
  const [row] = await db
    .insert(payments)
    .values({ ...claim, outcome: "pending", claimExpiresAt: expiry })
    .onConflictDoUpdate({
      target: payments.idempotencyKey,
      set: { claimExpiresAt: expiry, updatedAt: sql`now()` },
      setWhere: sql`${payments.outcome} = 'pending' and ${payments.claimExpiresAt} < now() and ${payments.requestHash} = excluded.request_hash`,
    })
    .returning();
  return row;
}

/**
 * Records the provider's decision on a pending payment; undefined when it is no longer pending
 * (a request that took the lapsed claim over settled it first, with the same provider answer).
 */
export async function settlePayment(
  tx: PaymentsTransaction,
  id: string,
  outcome: SettledOutcome,
  failureReason: string | null,
): Promise<PaymentRow | undefined> {
  const [row] = await tx
    .update(payments)
    // A payment dates from the provider's decision; the claim before it was internal.
    .set({ outcome, failureReason, claimExpiresAt: null, createdAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(payments.id, id), eq(payments.outcome, "pending")))
    .returning();
  return row;
}

/** Gives the key back after a transient provider failure, unless someone else took the claim over. */
export async function releaseClaim(db: PaymentsQueryable, claim: PaymentRow): Promise<void> {
  if (claim.claimExpiresAt === null) return;
  await db
    .delete(payments)
    .where(
      and(
        eq(payments.id, claim.id),
        eq(payments.outcome, "pending"),
        eq(payments.claimExpiresAt, claim.claimExpiresAt),
      ),
    );
}

/** Reads the payment and locks it until the transaction ends: refunds of one payment go one at a time. */
export async function lockPayment(tx: PaymentsTransaction, id: string): Promise<PaymentRow | undefined> {
  const [row] = await tx.select().from(payments).where(eq(payments.id, id)).for("update");
  return row;
}

/** Stores the refunded total the ledger adds up to (the row's CHECK keeps it within the amount). */
export async function setRefunded(tx: PaymentsTransaction, id: string, refundedMinor: bigint): Promise<PaymentRow> {
  const [row] = await tx
    .update(payments)
    .set({ refundedMinor, updatedAt: sql`now()` })
    .where(eq(payments.id, id))
    .returning();
  if (row === undefined) throw new Error(`payment ${id} vanished inside its own lock`);
  return row;
}
