// Queries on persisted sagas: claiming due ones under a lease, reading and writing their state.
//
// A runner never holds a row lock (or a pooled connection) across a remote call: it claims due
// sagas in one short transaction (`FOR UPDATE SKIP LOCKED`, so replicas split the work) by
// stamping a lease token and expiry, makes the call, then writes the outcome only if its lease
// token is still on the row (fencing). A crashed runner's lease simply expires.
import { context, propagation } from "@opentelemetry/api";
import { and, asc, eq, inArray, isNull, lt, lte, ne, or, sql } from "drizzle-orm";
import type { Outcome, PaymentState, ReservationState, SagaState, SagaStep } from "../domain/saga.ts";
import type { Db } from "./orders.ts";
import * as schema from "./schema.ts";

type SagaRow = typeof schema.sagas.$inferSelect;

export interface ClaimedSaga {
  orderId: string;
  leaseToken: string;
  state: SagaState;
  paymentMethod: string;
  /** The trace context the saga was started in (see schema.sagas.traceHeaders). */
  traceHeaders: Record<string, string>;
}

export function stateOf(row: SagaRow): SagaState {
  const outcome: Outcome | null =
    row.outcomeStatus === null
      ? null
      : { status: row.outcomeStatus as Outcome["status"], reason: row.outcomeReason ?? "" };
  return {
    step: row.step as SagaStep,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    stepDeadline: row.stepDeadline,
    reservationId: row.reservationId,
    reservationState: row.reservationState as ReservationState,
    paymentId: row.paymentId,
    paymentState: row.paymentState as PaymentState,
    uncertain: row.uncertain,
    inFlight: row.inFlight,
    cancelRequested: row.cancelRequested,
    outcome,
    lastError: row.lastError,
  };
}

function columnsOf(state: SagaState, now: Date) {
  return {
    step: state.step,
    attempts: state.attempts,
    nextAttemptAt: state.nextAttemptAt,
    stepDeadline: state.stepDeadline,
    reservationId: state.reservationId,
    reservationState: state.reservationState,
    paymentId: state.paymentId,
    paymentState: state.paymentState,
    uncertain: state.uncertain,
    inFlight: state.inFlight,
    cancelRequested: state.cancelRequested,
    outcomeStatus: state.outcome?.status ?? null,
    outcomeReason: state.outcome?.reason ?? null,
    // Errors can be long (upstream messages); the record keeps the gist.
    lastError: state.lastError.slice(0, 1000),
    updatedAt: now,
  };
}

export async function insertSaga(
  db: Db,
  orderId: string,
  state: SagaState,
  paymentMethod: string,
  now: Date,
): Promise<void> {
  // The active trace context (PlaceOrder's), as the outbox keeps it for events: the runner's steps
  // happen later, elsewhere, and join this trace through it.
  const traceHeaders: Record<string, string> = {};
  propagation.inject(context.active(), traceHeaders);
  await db.insert(schema.sagas).values({ orderId, paymentMethod, traceHeaders, ...columnsOf(state, now) });
}

/**
 * Claims up to `limit` due sagas nobody holds a live lease on, for `leaseMs`. Rows another
 * replica is claiming right now are skipped, not waited for. Also says when the next saga falls
 * due after `now` (its retry time, or when another runner's lease on it lapses), in the same
 * transaction, so a runner with nothing to do sleeps until then.
 */
export async function claimDueSagas(
  db: Db,
  options: { limit: number; now: Date; leaseMs: number; token: string },
): Promise<{ claimed: ClaimedSaga[]; nextDue: Date | undefined }> {
  const { sagas } = schema;
  return db.transaction(async (tx) => {
    const dueAt = sql`greatest(${sagas.nextAttemptAt}, coalesce(${sagas.leaseUntil}, ${sagas.nextAttemptAt}))`;
    const [next] = await tx
      .select({ at: sql`min(${dueAt})`.mapWith(sagas.nextAttemptAt) })
      .from(sagas)
      // ≥, not >: a lease that lapses exactly now is not claimable yet (lease_until < now), but is due.
      .where(and(ne(sagas.step, "done"), sql`${dueAt} >= ${sql.param(options.now, sagas.nextAttemptAt)}`));
    const nextDue = next?.at ?? undefined;
    if (options.limit <= 0) return { claimed: [], nextDue };
    const due = await tx
      .select({ orderId: sagas.orderId })
      .from(sagas)
      .where(
        and(
          ne(sagas.step, "done"),
          lte(sagas.nextAttemptAt, options.now),
          or(isNull(sagas.leaseUntil), lt(sagas.leaseUntil, options.now)),
        ),
      )
      .orderBy(asc(sagas.nextAttemptAt))
      .limit(options.limit)
      .for("update", { skipLocked: true });
    if (due.length === 0) return { claimed: [], nextDue };
    const rows = await tx
      .update(sagas)
      .set({ leaseToken: options.token, leaseUntil: new Date(options.now.getTime() + options.leaseMs) })
      .where(
        inArray(
          sagas.orderId,
          due.map((d) => d.orderId),
        ),
      )
      .returning();
    const claimed = rows.map((row) => ({
      orderId: row.orderId,
      leaseToken: options.token,
      state: stateOf(row),
      paymentMethod: row.paymentMethod,
      traceHeaders: row.traceHeaders,
    }));
    return { claimed, nextDue };
  });
}

/** The saga, locked for this transaction, if `leaseToken` still holds it, and its order's status. */
export async function lockLeasedSaga(
  db: Db,
  orderId: string,
  leaseToken: string,
): Promise<{ state: SagaState; orderStatus: string } | undefined> {
  const [row] = await db
    .select({ saga: schema.sagas, orderStatus: schema.orders.status })
    .from(schema.sagas)
    .innerJoin(schema.orders, eq(schema.orders.id, schema.sagas.orderId))
    .where(and(eq(schema.sagas.orderId, orderId), eq(schema.sagas.leaseToken, leaseToken)))
    .for("update", { of: schema.sagas });
  return row === undefined ? undefined : { state: stateOf(row.saga), orderStatus: row.orderStatus };
}

/** The saga, locked for this transaction (CancelOrder). */
export async function lockSaga(db: Db, orderId: string): Promise<SagaState | undefined> {
  const [row] = await db.select().from(schema.sagas).where(eq(schema.sagas.orderId, orderId)).for("update");
  return row === undefined ? undefined : stateOf(row);
}

/** Writes a new saga state; `releaseLease` drops the runner's lease so the next step can be claimed. */
export async function saveSaga(
  db: Db,
  orderId: string,
  state: SagaState,
  now: Date,
  releaseLease = true,
): Promise<void> {
  await db
    .update(schema.sagas)
    .set({
      ...columnsOf(state, now),
      ...(releaseLease ? { leaseToken: null, leaseUntil: null } : {}),
      // The payment method is needed only until no charge can be made any more.
      ...(state.step === "done" ? { paymentMethod: "" } : {}),
    })
    .where(eq(schema.sagas.orderId, orderId));
}

/** On a graceful stop: hand unfinished work back at once instead of waiting for leases to expire. */
export async function releaseLeases(db: Db, leaseTokens: readonly string[]): Promise<void> {
  if (leaseTokens.length === 0) return;
  await db
    .update(schema.sagas)
    .set({ leaseToken: null, leaseUntil: null })
    .where(inArray(schema.sagas.leaseToken, [...leaseTokens]));
}

export async function findSaga(db: Db, orderId: string): Promise<SagaState | undefined> {
  const [row] = await db.select().from(schema.sagas).where(eq(schema.sagas.orderId, orderId));
  return row === undefined ? undefined : stateOf(row);
}

export async function setCancelNote(db: Db, orderId: string, note: string): Promise<void> {
  await db.update(schema.sagas).set({ cancelNote: note }).where(eq(schema.sagas.orderId, orderId));
}

/** Records that a call of the current step is about to be made, if this claim still holds the saga. */
export async function markInFlight(db: Db, orderId: string, leaseToken: string, uncertain: boolean): Promise<boolean> {
  const rows = await db
    .update(schema.sagas)
    .set({ inFlight: true, ...(uncertain ? { uncertain: true } : {}) })
    .where(and(eq(schema.sagas.orderId, orderId), eq(schema.sagas.leaseToken, leaseToken)))
    .returning({ orderId: schema.sagas.orderId });
  return rows.length > 0;
}
