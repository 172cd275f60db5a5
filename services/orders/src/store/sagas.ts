// Queries on persisted sagas: claiming due ones under a lease, reading and writing their state.
//
// A runner never holds a row lock (or a pooled connection) across a remote call: it claims due
// sagas in one short transaction (`FOR UPDATE SKIP LOCKED`, so replicas split the work) by
// stamping a lease token and expiry, makes the call, then writes the outcome only if its lease
// token is still on the row (fencing). A crashed runner's lease simply expires.
import { context, propagation } from "@opentelemetry/api";
import { and, asc, eq, inArray, isNull, lt, lte, ne, or, sql } from "drizzle-orm";
import {
  type Move,
  nextMove,
  type Outcome,
  type PaymentState,
  type ReservationState,
  type SagaState,
  type SagaStep,
} from "../domain/saga.ts";
import { type Db, findOrders, type OrderRecord } from "./orders.ts";
import * as schema from "./schema.ts";

type SagaRow = typeof schema.sagas.$inferSelect;

export interface ClaimedSaga {
  orderId: string;
  leaseToken: string;
  /** The saga as found, before this claim marked its call in flight. */
  state: SagaState;
  /** What to do with it, decided when it was claimed (its call, if any, is marked in flight). */
  move: Move;
  paymentMethod: string;
  /** The trace context the saga was started in (see schema.sagas.traceHeaders). */
  traceHeaders: Record<string, string>;
  /** The order, read with the claim: its lines and amounts, which the calls send, never change. */
  order: OrderRecord | undefined;
}

/**
 * The state to write before a step's call is made: if this process dies mid-call, the next runner
 * knows to find out. A call still marked in flight from a runner that died may have taken effect:
 * that doubt is remembered.
 */
export function markedForCall(state: SagaState): SagaState {
  const leftover = state.inFlight && (state.step === "reserve" || state.step === "charge");
  return { ...state, inFlight: true, uncertain: state.uncertain || leftover };
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

/** A claim on a saga made before its row exists: the row is written already claimed. */
export interface SagaLease {
  token: string;
  until: Date;
}

/**
 * Writes a new saga; with `lease`, already claimed by that lease with its first call marked in
 * flight (the runner that holds the lease starts it without a claim of its own). Returns the
 * trace context it keeps: the active one (PlaceOrder's), as the outbox keeps it for events, since
 * the runner's steps happen later, maybe elsewhere, and join this trace through it.
 */
export async function insertSaga(
  db: Db,
  orderId: string,
  state: SagaState,
  paymentMethod: string,
  now: Date,
  lease?: SagaLease,
): Promise<Record<string, string>> {
  const traceHeaders: Record<string, string> = {};
  propagation.inject(context.active(), traceHeaders);
  const written = lease === undefined ? state : markedForCall(state);
  await db.insert(schema.sagas).values({
    orderId,
    paymentMethod,
    traceHeaders,
    ...columnsOf(written, now),
    ...(lease === undefined ? {} : { leaseToken: lease.token, leaseUntil: lease.until }),
  });
  return traceHeaders;
}

/**
 * Claims up to `limit` due sagas nobody holds a live lease on, for `leaseMs`, in one commit: the
 * lease, each saga's next move with its call marked in flight, and the orders the calls need.
 * Rows another replica is claiming right now are skipped, not waited for. Also says when the next
 * saga falls due after `now` (its retry time, or when another runner's lease on it lapses), so a
 * runner with nothing to do sleeps until then.
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
      .select()
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
    const leaseUntil = new Date(options.now.getTime() + options.leaseMs);
    const orders = await findOrders(
      tx,
      due.map((row) => row.orderId),
    );
    const claimed: ClaimedSaga[] = [];
    for (const row of due) {
      const state = stateOf(row);
      const move = nextMove(row.orderId, state, options.now);
      claimed.push({
        orderId: row.orderId,
        leaseToken: options.token,
        state,
        move,
        paymentMethod: row.paymentMethod,
        traceHeaders: row.traceHeaders,
        order: orders.get(row.orderId),
      });
      const marked = move.kind === "call" ? markedForCall(state) : state;
      await tx
        .update(sagas)
        .set({ leaseToken: options.token, leaseUntil, inFlight: marked.inFlight, uncertain: marked.uncertain })
        .where(eq(sagas.orderId, row.orderId));
    }
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

/**
 * Writes a new saga state. The lease: "release" drops the runner's, so the next step can be
 * claimed; "keep" leaves whatever lease there is; a date extends the runner's to then (it goes
 * on with the next step itself).
 */
export async function saveSaga(
  db: Db,
  orderId: string,
  state: SagaState,
  now: Date,
  lease: "release" | "keep" | Date = "release",
): Promise<void> {
  await db
    .update(schema.sagas)
    .set({
      ...columnsOf(state, now),
      ...(lease === "release" ? { leaseToken: null, leaseUntil: null } : {}),
      ...(lease instanceof Date ? { leaseUntil: lease } : {}),
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
