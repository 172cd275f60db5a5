// The saga state machine as a pure function: state + step result → next state + order change.
import { describe, expect, it } from "vitest";
import {
  afterResult,
  backoffMs,
  beginAttempt,
  initialSaga,
  nextMove,
  requestCancel,
  type SagaPolicy,
  type SagaState,
  type StepResult,
  type Transition,
} from "../src/domain/saga.ts";

const policy: SagaPolicy = { stepTimeoutMs: 30_000, baseBackoffMs: 100, maxBackoffMs: 1_000, random: () => 0.999 };
const t0 = new Date("2025-01-01T00:00:00Z");
const at = (ms: number) => new Date(t0.getTime() + ms);
const id = "order-1";

const ok: StepResult = { kind: "ok" };
const reserved: StepResult = { kind: "ok", reservationId: "res-1", reservationActive: true };
const charged: StepResult = { kind: "ok", paymentId: "pay-1" };
const unavailable: StepResult = { kind: "transient", reason: "UNAVAILABLE", message: "UNAVAILABLE", ambiguous: false };
const lost: StepResult = {
  kind: "transient",
  reason: "DEADLINE_EXCEEDED",
  message: "DEADLINE_EXCEEDED",
  ambiguous: true,
};
const refused = (reason: string): StepResult => ({ kind: "refused", reason, message: reason });

/** Feeds results to the saga one step at a time, checking each step makes the expected call. */
function drive(state: SagaState, steps: Array<[expectedCall: string, result: StepResult]>, now = t0): Transition[] {
  const transitions: Transition[] = [];
  let current = state;
  for (const [expectedCall, result] of steps) {
    const move = nextMove(id, current, now);
    expect(move.kind).toBe("call");
    if (move.kind !== "call") break;
    expect(move.command.kind).toBe(expectedCall);
    const transition = afterResult(current, result, now, policy);
    transitions.push(transition);
    current = transition.saga;
  }
  return transitions;
}

const last = (transitions: Transition[]) => transitions.at(-1)!;

describe("saga happy path", () => {
  it("reserves, charges, commits with deterministic keys, then confirms", () => {
    const start = initialSaga(t0, policy);
    const move = nextMove(id, start, t0);
    expect(move).toEqual({ kind: "call", command: { kind: "reserve", idempotencyKey: "order-1:reserve" } });
    const transitions = drive(start, [
      ["reserve", reserved],
      ["charge", charged],
      ["commit", ok],
    ]);
    expect(transitions[1]!.paymentId).toBe("pay-1");
    expect(nextMove(id, transitions[1]!.saga, t0)).toEqual({
      kind: "call",
      command: { kind: "commit", reservationId: "res-1", idempotencyKey: "order-1:commit" },
    });
    const end = last(transitions);
    expect(end.order).toEqual({ status: "CONFIRMED", reason: "" });
    expect(end.event).toBe("confirmed");
    expect(end.saga).toMatchObject({ step: "done", reservationState: "committed", paymentState: "charged" });
    expect(nextMove(id, end.saga, t0)).toEqual({ kind: "idle" });
  });
});

describe("saga failures", () => {
  it("insufficient stock: rejected at once, nothing to compensate", () => {
    const end = last(drive(initialSaga(t0, policy), [["reserve", refused("INSUFFICIENT_STOCK")]]));
    expect(end.order).toEqual({ status: "REJECTED", reason: "INSUFFICIENT_STOCK" });
    expect(end.event).toBe("rejected");
  });

  it("declined card: releases the reservation, then rejects with CARD_DECLINED", () => {
    const transitions = drive(initialSaga(t0, policy), [
      ["reserve", reserved],
      ["charge", refused("CARD_DECLINED")],
      ["release", ok],
    ]);
    expect(transitions[1]!.order).toBeUndefined();
    expect(nextMove(id, transitions[1]!.saga, t0)).toMatchObject({
      command: { kind: "release", reservationId: "res-1", idempotencyKey: "order-1:release" },
    });
    expect(last(transitions).order).toEqual({ status: "REJECTED", reason: "CARD_DECLINED" });
    expect(last(transitions).saga.reservationState).toBe("released");
  });

  it("commit refused after the charge: refunds first, then releases (money before goods)", () => {
    const transitions = drive(initialSaga(t0, policy), [
      ["reserve", reserved],
      ["charge", charged],
      ["commit", refused("RESERVATION_NOT_ACTIVE")],
      ["refund", ok],
      ["release", ok],
    ]);
    expect(nextMove(id, transitions[2]!.saga, t0)).toMatchObject({
      command: { kind: "refund", paymentId: "pay-1", idempotencyKey: "order-1:refund" },
    });
    expect(last(transitions).order).toEqual({ status: "REJECTED", reason: "RESERVATION_EXPIRED" });
    expect(last(transitions).saga).toMatchObject({ paymentState: "refunded", reservationState: "released" });
  });

  it("a release that finds the reservation committed restocks it instead", () => {
    const transitions = drive(initialSaga(t0, policy), [
      ["reserve", reserved],
      ["charge", charged],
      ["commit", refused("SOMETHING_ODD")],
      ["refund", ok],
      ["release", refused("RESERVATION_COMMITTED")],
      ["restock", ok],
    ]);
    expect(last(transitions).saga.reservationState).toBe("restocked");
    expect(last(transitions).order?.status).toBe("REJECTED");
  });
});

describe("transient failures and deadlines", () => {
  it("retries a step with exponential backoff, then succeeds", () => {
    const afterReserve = afterResult(initialSaga(t0, policy), reserved, t0, policy).saga;
    const first = afterResult(afterReserve, unavailable, t0, policy).saga;
    const second = afterResult(first, unavailable, t0, policy).saga;
    expect(first).toMatchObject({ step: "charge", attempts: 1 });
    expect(second.attempts).toBe(2);
    expect(second.nextAttemptAt.getTime() - t0.getTime()).toBeGreaterThan(first.nextAttemptAt.getTime() - t0.getTime());
    const succeeded = afterResult(second, charged, t0, policy);
    expect(succeeded.saga).toMatchObject({ step: "commit", attempts: 0, paymentState: "charged" });
  });

  it("caps the backoff", () => {
    expect(backoffMs(1, policy)).toBeLessThanOrEqual(100);
    expect(backoffMs(30, policy)).toBeLessThanOrEqual(1_000);
    expect(backoffMs(30, { ...policy, random: () => 0 })).toBe(500);
  });

  it("a charge failing past its deadline compensates and rejects PAYMENT_UNAVAILABLE", () => {
    const charging = afterResult(initialSaga(t0, policy), reserved, t0, policy).saga;
    const late = at(policy.stepTimeoutMs + 1);
    const transition = afterResult(charging, unavailable, late, policy);
    expect(transition.saga.step).toBe("release");
    const end = afterResult(transition.saga, ok, late, policy);
    expect(end.order).toEqual({ status: "REJECTED", reason: "PAYMENT_UNAVAILABLE" });
    expect(end.saga.paymentState).toBe("none");
  });

  it("a due step past its deadline compensates without calling", () => {
    const charging = afterResult(initialSaga(t0, policy), reserved, t0, policy).saga;
    const move = nextMove(id, charging, at(policy.stepTimeoutMs + 1));
    expect(move.kind).toBe("transition");
    if (move.kind === "transition") expect(move.transition.saga.step).toBe("release");
  });

  it("an unanswered charge is resolved (same key) before compensating: found charged → refunded", () => {
    const charging = afterResult(initialSaga(t0, policy), reserved, t0, policy).saga;
    const uncertain = afterResult(charging, lost, t0, policy).saga;
    expect(uncertain.uncertain).toBe(true);
    const late = at(policy.stepTimeoutMs + 1);
    const resolving = afterResult(uncertain, unavailable, late, policy).saga;
    expect(resolving.step).toBe("resolve_charge");
    expect(nextMove(id, resolving, late)).toMatchObject({
      command: { kind: "charge", idempotencyKey: "order-1:charge" },
    });
    // Resolution has no deadline: money is never left unaccounted for.
    const stillResolving = afterResult(resolving, lost, at(10 * policy.stepTimeoutMs), policy).saga;
    expect(stillResolving.step).toBe("resolve_charge");
    const found = afterResult(stillResolving, charged, late, policy);
    expect(found.paymentId).toBe("pay-1");
    expect(found.saga.step).toBe("refund");
    const refunded = afterResult(found.saga, ok, late, policy);
    const released = afterResult(refunded.saga, ok, late, policy);
    expect(released.order).toEqual({ status: "REJECTED", reason: "PAYMENT_UNAVAILABLE" });
    expect(released.saga).toMatchObject({ paymentState: "refunded", reservationState: "released" });
  });

  it("a charge left in flight by a runner that died, found past its deadline, is resolved first", () => {
    const charging = afterResult(initialSaga(t0, policy), reserved, t0, policy).saga;
    const crashed = beginAttempt(charging);
    const move = nextMove(id, crashed, at(policy.stepTimeoutMs + 1));
    if (move.kind !== "transition") throw new Error("expected a transition");
    expect(move.transition.saga).toMatchObject({ step: "resolve_charge", inFlight: false });
    // Answered in time, the mark is simply cleared.
    expect(afterResult(beginAttempt(charging), charged, t0, policy).saga).toMatchObject({
      step: "commit",
      inFlight: false,
    });
  });

  it("an unanswered reserve is resolved before giving up, and a found reservation released", () => {
    const uncertain = afterResult(initialSaga(t0, policy), lost, t0, policy).saga;
    const late = at(policy.stepTimeoutMs + 1);
    const resolving = nextMove(id, uncertain, late);
    expect(resolving.kind).toBe("transition");
    if (resolving.kind !== "transition") return;
    expect(resolving.transition.saga.step).toBe("resolve_reserve");
    const found = afterResult(resolving.transition.saga, reserved, late, policy);
    expect(found.saga.step).toBe("release");
  });

  it("compensation steps retry transient failures without a deadline", () => {
    const releasing = afterResult(
      afterResult(initialSaga(t0, policy), reserved, t0, policy).saga,
      refused("CARD_DECLINED"),
      t0,
      policy,
    ).saga;
    const retried = afterResult(releasing, unavailable, at(100 * policy.stepTimeoutMs), policy);
    expect(retried.saga).toMatchObject({ step: "release", attempts: 1 });
    expect(retried.order).toBeUndefined();
  });
});

describe("cancel in each state", () => {
  it("PENDING before anything ran: cancelled without calls", () => {
    const decision = requestCancel("PENDING", initialSaga(t0, policy), t0);
    expect(decision.kind).toBe("requested");
    if (decision.kind !== "requested") return;
    const move = nextMove(id, decision.saga, t0);
    expect(move).toMatchObject({
      kind: "transition",
      transition: { order: { status: "CANCELLED", reason: "CUSTOMER_REQUEST" }, event: "cancelled" },
    });
  });

  it("PENDING while charging: the reservation is released, then CANCELLED", () => {
    const charging = afterResult(initialSaga(t0, policy), reserved, t0, policy).saga;
    const decision = requestCancel("PENDING", charging, t0);
    if (decision.kind !== "requested") throw new Error("expected a request");
    const move = nextMove(id, decision.saga, t0);
    if (move.kind !== "transition") throw new Error("expected a transition");
    expect(move.transition.saga.step).toBe("release");
    expect(afterResult(move.transition.saga, ok, t0, policy).order).toEqual({
      status: "CANCELLED",
      reason: "CUSTOMER_REQUEST",
    });
  });

  it("PENDING, cancel arriving while the charge call was in flight: refund, release, CANCELLED", () => {
    const charging = afterResult(initialSaga(t0, policy), reserved, t0, policy).saga;
    const withCancel = { ...charging, cancelRequested: true };
    const transitions = [afterResult(withCancel, charged, t0, policy)];
    expect(transitions[0]!.saga.step).toBe("refund");
    transitions.push(afterResult(transitions[0]!.saga, ok, t0, policy));
    transitions.push(afterResult(transitions[1]!.saga, ok, t0, policy));
    expect(last(transitions).order).toEqual({ status: "CANCELLED", reason: "CUSTOMER_REQUEST" });
    expect(last(transitions).saga.paymentState).toBe("refunded");
  });

  it("PENDING, card declined after the cancel request: still CANCELLED (the customer asked first)", () => {
    const charging = afterResult(initialSaga(t0, policy), reserved, t0, policy).saga;
    const releasing = afterResult({ ...charging, cancelRequested: true }, refused("CARD_DECLINED"), t0, policy);
    expect(releasing.saga.step).toBe("release");
    expect(afterResult(releasing.saga, ok, t0, policy).order).toEqual({
      status: "CANCELLED",
      reason: "CUSTOMER_REQUEST",
    });
  });

  it("CONFIRMED: refund then restock, then CANCELLED", () => {
    const confirmed = last(
      drive(initialSaga(t0, policy), [
        ["reserve", reserved],
        ["charge", charged],
        ["commit", ok],
      ]),
    ).saga;
    const decision = requestCancel("CONFIRMED", confirmed, t0);
    if (decision.kind !== "requested") throw new Error("expected a request");
    const transitions = drive(decision.saga, [
      ["refund", ok],
      ["restock", ok],
    ]);
    expect(nextMove(id, transitions[0]!.saga, t0)).toMatchObject({
      command: { kind: "restock", idempotencyKey: "order-1:restock", reason: "ORDER_CANCELLED" },
    });
    expect(last(transitions).order).toEqual({ status: "CANCELLED", reason: "CUSTOMER_REQUEST" });
    expect(last(transitions).event).toBe("cancelled");
    // Cancelling again while it runs, or after, changes nothing.
    expect(requestCancel("CONFIRMED", decision.saga, t0).kind).toBe("unchanged");
    expect(requestCancel("CANCELLED", last(transitions).saga, t0).kind).toBe("unchanged");
  });

  it("REJECTED cannot be cancelled", () => {
    const rejected = last(drive(initialSaga(t0, policy), [["reserve", refused("INSUFFICIENT_STOCK")]])).saga;
    expect(requestCancel("REJECTED", rejected, t0).kind).toBe("not_cancellable");
  });
});
