import type { Database } from "@weft/mesh/data";
import { and, eq, lt } from "drizzle-orm";
import { type Admission, admitAttempt, type BackoffPolicy, lockAfter } from "../domain/attempt-backoff.ts";
import * as schema from "./schema.ts";

export type ThrottleKind = (typeof schema.attemptThrottles.$inferSelect)["kind"];

const table = schema.attemptThrottles;
const longAgo = new Date(0);

/**
 * Decides an attempt under the row lock of its (kind, subject) and records the outcome in the same
 * transaction, so concurrent attempts on one account — on one replica or many — are counted one
 * after the other. The lock is held for two statements, never across the password hash.
 */
export function admitThrottledAttempt(
  db: Database<typeof schema>,
  kind: ThrottleKind,
  subject: string,
  policy: BackoffPolicy,
  now = new Date(),
): Promise<Admission> {
  return db.transaction(async (tx) => {
    // Make sure a row exists to lock: SELECT … FOR UPDATE locks nothing that is not there yet.
    await tx
      .insert(table)
      .values({ kind, subject, failures: 0, lockedUntil: longAgo, lastAttemptAt: longAgo })
      .onConflictDoNothing();
    const [row] = await tx
      .select()
      .from(table)
      .where(and(eq(table.kind, kind), eq(table.subject, subject)))
      .for("update");
    const admission = admitAttempt(row, now, policy);
    if (admission.admitted) {
      await tx
        .update(table)
        .set(admission.next)
        .where(and(eq(table.kind, kind), eq(table.subject, subject)));
    }
    return admission;
  });
}

/** After a counted attempt that did not start the account afresh: its wait runs from now. */
export function startWait(
  db: Database<typeof schema>,
  kind: ThrottleKind,
  subject: string,
  policy: BackoffPolicy,
  now = new Date(),
): Promise<void> {
  return db.transaction(async (tx) => {
    const where = and(eq(table.kind, kind), eq(table.subject, subject));
    const [row] = await tx.select().from(table).where(where).for("update");
    if (row !== undefined)
      await tx
        .update(table)
        .set(lockAfter(row, now, policy))
        .where(where);
  });
}

/** After a success: the account starts afresh. */
export async function clearAttempts(db: Database<typeof schema>, kind: ThrottleKind, subject: string): Promise<void> {
  await db.delete(table).where(and(eq(table.kind, kind), eq(table.subject, subject)));
}

/** Deletes the rows of `kind` nobody needs any more: quiet since `quietSince` and not locked at `now`. */
export async function purgeForgottenAttempts(
  db: Database<typeof schema>,
  kind: ThrottleKind,
  quietSince: Date,
  now = new Date(),
): Promise<number> {
  const deleted = await db
    .delete(table)
    .where(and(eq(table.kind, kind), lt(table.lastAttemptAt, quietSince), lt(table.lockedUntil, now)))
    .returning({ subject: table.subject });
  return deleted.length;
}
