import { eq } from "drizzle-orm";
import type { PaymentsQueryable, PaymentsTransaction } from "./database.ts";
import { type RefundRow, refunds } from "./schema.ts";

export type NewRefund = Omit<typeof refunds.$inferInsert, "createdAt">;

export async function findRefundByKey(db: PaymentsQueryable, idempotencyKey: string): Promise<RefundRow | undefined> {
  const [row] = await db.select().from(refunds).where(eq(refunds.idempotencyKey, idempotencyKey));
  return row;
}

/** Inserts the refund unless its idempotency key is taken (by a concurrent request); undefined then. */
export async function insertRefund(tx: PaymentsTransaction, refund: NewRefund): Promise<RefundRow | undefined> {
  const [row] = await tx
    .insert(refunds)
    .values(refund)
    .onConflictDoNothing({ target: refunds.idempotencyKey })
    .returning();
  return row;
}
