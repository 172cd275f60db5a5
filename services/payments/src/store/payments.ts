import { eq, sql } from "drizzle-orm";
import type { PaymentsQueryable, PaymentsTransaction } from "./database.ts";
import { type PaymentRow, payments } from "./schema.ts";

export type NewPayment = Omit<typeof payments.$inferInsert, "refundedMinor" | "createdAt" | "updatedAt">;

export async function findPayment(db: PaymentsQueryable, id: string): Promise<PaymentRow | undefined> {
  const [row] = await db.select().from(payments).where(eq(payments.id, id));
  return row;
}

export async function findPaymentByKey(db: PaymentsQueryable, idempotencyKey: string): Promise<PaymentRow | undefined> {
  const [row] = await db.select().from(payments).where(eq(payments.idempotencyKey, idempotencyKey));
  return row;
}

/**
 * Inserts the payment unless its idempotency key is taken; returns undefined when it is. A
 * concurrent insert of the same key makes this wait for that transaction, then yield to it.
 */
export async function insertPayment(tx: PaymentsTransaction, payment: NewPayment): Promise<PaymentRow | undefined> {
  const [row] = await tx
    .insert(payments)
    .values(payment)
    .onConflictDoNothing({ target: payments.idempotencyKey })
    .returning();
  return row;
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
