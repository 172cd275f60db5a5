// The order saga as a pure state machine: given the persisted state (and, after a call, the
// call's outcome) it says what to do next. No I/O and no clock: the runner passes `now`, calls
// the upstream services, and persists what these functions return in one transaction.
//
//   reserve ──▶ charge ──▶ commit ──▶ done (CONFIRMED)
//      │           │          │
//      └───────────┴──────────┴──▶ compensation: [resolve_*] ▶ refund ▶ release | restock ▶ done
//                                   (REJECTED with a reason, or CANCELLED on request)
//
// Compensation is driven by what the saga holds, not by where it failed: a taken payment is
// refunded first (money before goods), then an active reservation is released or a committed
// one restocked. So every completed step is undone exactly once, whatever failed.

/** Forward steps, the two "find out what happened" steps, compensation steps, and the end. */
export type SagaStep =
  | "reserve"
  | "charge"
  | "commit"
  | "resolve_reserve"
  | "resolve_charge"
  | "refund"
  | "release"
  | "restock"
  | "done";

export type ReservationState = "none" | "held" | "committed" | "released" | "restocked";
export type PaymentState = "none" | "charged" | "refunded";
export type FinalStatus = "REJECTED" | "CANCELLED";
export type OrderStatusName = "PENDING" | "CONFIRMED" | FinalStatus;

export const forwardSteps: readonly SagaStep[] = ["reserve", "charge", "commit"];

export interface Outcome {
  status: FinalStatus;
  reason: string;
}

export interface SagaState {
  step: SagaStep;
  attempts: number;
  nextAttemptAt: Date;
  stepDeadline: Date | null;
  reservationId: string | null;
  reservationState: ReservationState;
  paymentId: string | null;
  paymentState: PaymentState;
  uncertain: boolean;
  /**
   * A call of the current step was started and its answer not yet recorded. Found set by a new
   * runner, it means the previous one died mid-call: the call may or may not have taken effect.
   */
  inFlight: boolean;
  cancelRequested: boolean;
  outcome: Outcome | null;
  lastError: string;
}

export interface SagaPolicy {
  /** How long a forward step may keep failing transiently before the saga compensates. */
  stepTimeoutMs: number;
  /** First retry delay; doubles per attempt up to maxBackoffMs. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** In [0, 1): spreads retries of many sagas after an outage. Tests pass a constant. */
  random: () => number;
}

/** One call to an upstream service, with the deterministic idempotency key of its step. */
export type SagaCommand =
  | { kind: "reserve"; idempotencyKey: string }
  | { kind: "charge"; idempotencyKey: string }
  | { kind: "commit"; reservationId: string; idempotencyKey: string }
  | { kind: "release"; reservationId: string; idempotencyKey: string; reason: string }
  | { kind: "refund"; paymentId: string; idempotencyKey: string; reason: string }
  | { kind: "restock"; reservationId: string; idempotencyKey: string; reason: string };

/** What a call came to, as the runner classifies the upstream's answer. */
export type StepResult =
  /** It took effect (or had already: replays count). */
  | { kind: "ok"; reservationId?: string; reservationActive?: boolean; paymentId?: string }
  /** A definitive business answer: nothing was done (INSUFFICIENT_STOCK, CARD_DECLINED, …). */
  | { kind: "refused"; reason: string; message: string }
  /**
   * Try again later. `ambiguous`: the request may have been processed without our hearing the
   * answer (deadline, dropped connection), so before giving up the saga must find out. `reason`
   * is stable (the gRPC code's name, …), for telemetry; `message` is the detail.
   */
  | { kind: "transient"; reason: string; message: string; ambiguous: boolean };

/** A state change to persist, with what it does to the order and the event it publishes. */
export interface Transition {
  saga: SagaState;
  /** The order's new status, when it changes. */
  order?: { status: OrderStatusName; reason: string };
  /** The order's payment id, once a charge is known to have been taken. */
  paymentId?: string;
  event?: "confirmed" | "rejected" | "cancelled";
}

export type Move =
  | { kind: "call"; command: SagaCommand }
  | { kind: "transition"; transition: Transition }
  | { kind: "idle" };

export const keys = {
  reserve: (orderId: string) => `${orderId}:reserve`,
  charge: (orderId: string) => `${orderId}:charge`,
  commit: (orderId: string) => `${orderId}:commit`,
  release: (orderId: string) => `${orderId}:release`,
  refund: (orderId: string) => `${orderId}:refund`,
  restock: (orderId: string) => `${orderId}:restock`,
};

/** The reason an order is rejected with when a forward step stays unavailable past its deadline. */
export function timeoutReason(step: SagaStep): string {
  return step === "charge" ? "PAYMENT_UNAVAILABLE" : "INVENTORY_UNAVAILABLE";
}

export const customerRequest: Outcome = { status: "CANCELLED", reason: "CUSTOMER_REQUEST" };

/** The saga of a freshly placed order: reserve first, right away. */
export function initialSaga(now: Date, policy: Pick<SagaPolicy, "stepTimeoutMs">): SagaState {
  return {
    step: "reserve",
    attempts: 0,
    nextAttemptAt: now,
    stepDeadline: new Date(now.getTime() + policy.stepTimeoutMs),
    reservationId: null,
    reservationState: "none",
    paymentId: null,
    paymentState: "none",
    uncertain: false,
    inFlight: false,
    cancelRequested: false,
    outcome: null,
    lastError: "",
  };
}

/** Marks a call as started, before it is made: persisted so a crash mid-call is noticed. */
export function beginAttempt(state: SagaState): SagaState {
  return { ...state, inFlight: true };
}

/** What to do with a due saga: call its step, or move on without a call (cancel, deadline). */
export function nextMove(orderId: string, found: SagaState, now: Date): Move {
  if (found.step === "done") return { kind: "idle" };
  // A call left in flight by a runner that died may have taken effect: as good as unanswered.
  const state = found.inFlight
    ? { ...found, inFlight: false, uncertain: found.uncertain || found.step !== "commit" }
    : found;
  if (isForward(state.step)) {
    if (state.cancelRequested) return { kind: "transition", transition: abort(state, customerRequest, now) };
    if (state.stepDeadline !== null && now >= state.stepDeadline) {
      return { kind: "transition", transition: abort(state, rejected(timeoutReason(state.step)), now) };
    }
  }
  return { kind: "call", command: commandFor(orderId, state) };
}

/** The call a step makes. Resolving re-sends the forward call with the same key: idempotent. */
export function commandFor(orderId: string, state: SagaState): SagaCommand {
  const reason = state.outcome?.status === "CANCELLED" ? "ORDER_CANCELLED" : "ORDER_REJECTED";
  switch (state.step) {
    case "reserve":
    case "resolve_reserve":
      return { kind: "reserve", idempotencyKey: keys.reserve(orderId) };
    case "charge":
    case "resolve_charge":
      return { kind: "charge", idempotencyKey: keys.charge(orderId) };
    case "commit":
      return { kind: "commit", reservationId: need(state.reservationId), idempotencyKey: keys.commit(orderId) };
    case "refund":
      return { kind: "refund", paymentId: need(state.paymentId), idempotencyKey: keys.refund(orderId), reason };
    case "release":
      return {
        kind: "release",
        reservationId: need(state.reservationId),
        idempotencyKey: keys.release(orderId),
        reason,
      };
    case "restock":
      return {
        kind: "restock",
        reservationId: need(state.reservationId),
        idempotencyKey: keys.restock(orderId),
        reason,
      };
    case "done":
      throw new Error("a finished saga makes no calls");
  }
}

/** The next state after the current step's call came to `result`. */
export function afterResult(attempted: SagaState, result: StepResult, now: Date, policy: SagaPolicy): Transition {
  // An answer arrived: the call is no longer in flight, and a definitive one settles any doubt.
  const state = { ...attempted, inFlight: false, uncertain: result.kind === "transient" ? attempted.uncertain : false };
  if (result.kind === "transient") return retry(state, result, now, policy);
  const ok = result.kind === "ok";
  switch (state.step) {
    case "reserve": {
      if (!ok) return abort(state, rejected(result.reason), now);
      if (result.reservationActive === false) {
        // A replay found our reservation already expired (we were down too long): nothing held.
        return abort({ ...state, reservationId: result.reservationId ?? null }, rejected("RESERVATION_EXPIRED"), now);
      }
      return advance(
        { ...state, reservationId: result.reservationId ?? null, reservationState: "held" },
        "charge",
        now,
        policy,
      );
    }
    case "charge": {
      if (!ok) return abort({ ...state, uncertain: false }, rejected(result.reason), now);
      const charged = { ...state, paymentId: result.paymentId ?? null, paymentState: "charged" as const };
      return { ...advance(charged, "commit", now, policy), paymentId: result.paymentId ?? "" };
    }
    case "commit": {
      if (!ok) {
        const reason = result.reason === "RESERVATION_NOT_ACTIVE" ? "RESERVATION_EXPIRED" : result.reason;
        return abort(state, rejected(reason), now);
      }
      const committed = { ...state, reservationState: "committed" as const };
      if (state.cancelRequested) return abort(committed, customerRequest, now);
      return {
        saga: { ...settled(committed, now), outcome: null },
        order: { status: "CONFIRMED", reason: "" },
        event: "confirmed",
      };
    }
    case "resolve_reserve": {
      const held = ok && result.reservationActive !== false;
      return compensate(
        {
          ...state,
          uncertain: false,
          reservationId: ok ? (result.reservationId ?? null) : state.reservationId,
          reservationState: held ? "held" : "none",
        },
        now,
      );
    }
    case "resolve_charge": {
      if (!ok) return compensate({ ...state, uncertain: false }, now);
      const charged = {
        ...state,
        uncertain: false,
        paymentId: result.paymentId ?? null,
        paymentState: "charged" as const,
      };
      return { ...compensate(charged, now), paymentId: result.paymentId ?? "" };
    }
    case "refund":
      // Refused (nothing left to refund, or the payment never succeeded): nothing more to give back.
      return compensate({ ...state, paymentState: "refunded", lastError: ok ? state.lastError : result.message }, now);
    case "release":
      if (!ok && result.reason === "RESERVATION_COMMITTED") {
        // The commit went through after all (its answer was lost): the goods must be restocked.
        return compensate({ ...state, reservationState: "committed" }, now);
      }
      return compensate(
        { ...state, reservationState: "released", lastError: ok ? state.lastError : result.message },
        now,
      );
    case "restock":
      // RESERVATION_NOT_COMMITTED: it was released or expired, so its units are back already.
      return compensate(
        { ...state, reservationState: ok ? "restocked" : "released", lastError: ok ? state.lastError : result.message },
        now,
      );
    case "done":
      return { saga: state };
  }
}

/** CancelOrder's effect on the saga, given the order's status. */
export type CancelDecision =
  | { kind: "unchanged" }
  | { kind: "not_cancellable" }
  | { kind: "requested"; saga: SagaState };

export function requestCancel(status: OrderStatusName, state: SagaState, now: Date): CancelDecision {
  switch (status) {
    case "CANCELLED":
      return { kind: "unchanged" };
    case "REJECTED":
      return { kind: "not_cancellable" };
    case "PENDING":
      if (state.cancelRequested) return { kind: "unchanged" };
      // A forward step notices on its next turn (now); compensation already under way ends as it was going to.
      return {
        kind: "requested",
        saga: { ...state, cancelRequested: true, nextAttemptAt: isForward(state.step) ? now : state.nextAttemptAt },
      };
    case "CONFIRMED":
      if (state.step !== "done" || state.cancelRequested) return { kind: "unchanged" };
      return {
        kind: "requested",
        saga: compensate({ ...state, cancelRequested: true, outcome: customerRequest }, now).saga,
      };
  }
}

export function isForward(step: SagaStep): boolean {
  return step === "reserve" || step === "charge" || step === "commit";
}

/** Exponential backoff with jitter: base·2^(attempt-1), capped, then 50–100% of that. */
export function backoffMs(attempt: number, policy: SagaPolicy): number {
  const exponential = Math.min(policy.maxBackoffMs, policy.baseBackoffMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (0.5 + policy.random() / 2));
}

function retry(
  state: SagaState,
  result: { message: string; ambiguous: boolean },
  now: Date,
  policy: SagaPolicy,
): Transition {
  const attempts = state.attempts + 1;
  const next: SagaState = {
    ...state,
    attempts,
    uncertain: state.uncertain || (result.ambiguous && (state.step === "reserve" || state.step === "charge")),
    lastError: result.message,
    // A cancel waiting on a forward step is acted on at once rather than after the backoff.
    nextAttemptAt:
      state.cancelRequested && isForward(state.step) ? now : new Date(now.getTime() + backoffMs(attempts, policy)),
  };
  if (isForward(state.step) && state.stepDeadline !== null && now >= state.stepDeadline) {
    return abort(next, rejected(timeoutReason(state.step)), now);
  }
  return { saga: next };
}

function advance(state: SagaState, step: SagaStep, now: Date, policy: SagaPolicy): Transition {
  const moved: SagaState = {
    ...state,
    step,
    attempts: 0,
    uncertain: false,
    nextAttemptAt: now,
    stepDeadline: new Date(now.getTime() + policy.stepTimeoutMs),
  };
  if (state.cancelRequested) return abort(moved, customerRequest, now);
  return { saga: moved };
}

/**
 * Gives up the forward path with `outcome`. If the step in progress may have taken effect
 * unseen, first find out (re-send it with the same key), so nothing is left held or charged.
 */
function abort(state: SagaState, outcome: Outcome, now: Date): Transition {
  // A customer who asked to cancel before the saga failed gets what they asked for: CANCELLED.
  const chosen = state.outcome ?? (state.cancelRequested ? customerRequest : outcome);
  const withOutcome: SagaState = { ...state, outcome: chosen };
  if (state.uncertain && (state.step === "reserve" || state.step === "charge")) {
    return { saga: { ...step(withOutcome, state.step === "reserve" ? "resolve_reserve" : "resolve_charge", now) } };
  }
  return compensate({ ...withOutcome, uncertain: false }, now);
}

/** The next compensation for what the saga still holds; money first, then goods; else finish. */
function compensate(state: SagaState, now: Date): Transition {
  if (state.paymentState === "charged") return { saga: step(state, "refund", now) };
  if (state.reservationState === "held") return { saga: step(state, "release", now) };
  if (state.reservationState === "committed" && state.outcome !== null) return { saga: step(state, "restock", now) };
  const outcome = state.outcome ?? rejected("UNKNOWN");
  return {
    saga: { ...settled(state, now), outcome },
    order: outcome,
    event: outcome.status === "CANCELLED" ? "cancelled" : "rejected",
  };
}

function step(state: SagaState, next: SagaStep, now: Date): SagaState {
  return { ...state, step: next, attempts: 0, nextAttemptAt: now, stepDeadline: null };
}

function settled(state: SagaState, now: Date): SagaState {
  return { ...state, step: "done", attempts: 0, nextAttemptAt: now, stepDeadline: null, uncertain: false };
}

function rejected(reason: string): Outcome {
  return { status: "REJECTED", reason };
}

function need(id: string | null): string {
  if (id === null) throw new Error("the saga step needs an id it does not have");
  return id;
}
