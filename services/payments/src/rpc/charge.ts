import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ChargeRequest, ChargeResponseSchema } from "@weft/gen/shop/payments/v1/payments_pb.js";
import type { CallContext } from "@weft/mesh";
import { v7 as uuidv7 } from "uuid";
import { isSettled, type SettledOutcome } from "../domain/payment.ts";
import type { ProviderDecision } from "../domain/provider.ts";
import { type ChargeInput, chargeFingerprint } from "../domain/requests.ts";
import { recordPaymentFailed, recordPaymentSucceeded } from "../events/payment-events.ts";
import { appendCharge } from "../store/ledger.ts";
import { claimPayment, findPaymentByKey, releaseClaim, settlePayment } from "../store/payments.ts";
import type { PaymentRow } from "../store/schema.ts";
import type { PaymentsDeps } from "./deps.ts";
import { chargeDeclined, chargeInProgress, idempotencyKeyReused, providerUnavailable } from "./errors.ts";
import { paymentMessage } from "./to-proto.ts";
import { validateCharge } from "./validate.ts";

type ChargeAnswer = MessageInitShape<typeof ChargeResponseSchema>;

/** How long to wait between looks at a charge another request is making, at first and at most. */
const firstPauseMs = 20;
const maxPauseMs = 250;
/** Time kept back from the caller's deadline to answer CHARGE_IN_PROGRESS instead of timing out. */
const answerMarginMs = 100;

/**
 * Charge, exactly once per idempotency key. The key is claimed first — a pending payment row,
 * committed — and only the request holding the claim asks the provider; a concurrent request with
 * the key waits for that outcome (or, out of time, is told ABORTED CHARGE_IN_PROGRESS to retry),
 * so the provider is never asked twice at once. The decision is recorded with its ledger entry
 * and event in one transaction. A transient provider failure gives the key back (nothing
 * happened, a retry gets a fresh attempt). A claim left by a crashed process lapses after
 * `claimMs`, and the next request with the key takes it over and asks the provider again with
 * the same idempotency key — which a provider answers with its first decision, never a second
 * charge.
 */
export async function charge(
  deps: PaymentsDeps,
  request: ChargeRequest,
  context: Pick<CallContext, "signal" | "deadline">,
): Promise<ChargeAnswer> {
  const input = validateCharge(request, deps.provider);
  const requestHash = chargeFingerprint(input);
  const claim = {
    id: uuidv7(),
    orderId: input.orderId,
    amountMinor: input.amount.amountMinor,
    currency: input.amount.currency,
    idempotencyKey: input.idempotencyKey,
    requestHash,
  };
  for (let pauseMs = firstPauseMs; ; pauseMs = Math.min(pauseMs * 2, maxPauseMs)) {
    const claimed = await claimPayment(deps.db, claim, deps.charges.claimMs);
    if (claimed !== undefined) return decide(deps, claimed, input, requestHash);
    const holder = await findPaymentByKey(deps.db, input.idempotencyKey);
    if (holder !== undefined) {
      if (holder.requestHash !== requestHash) throw idempotencyKeyReused(holder.idempotencyKey);
      if (isSettled(holder)) return answer(holder, requestHash);
    }
    // Another request is at the provider with this key (or just gave it back): look again soon.
    if (!(await pauseWithin(pauseMs, context))) throw chargeInProgress(input.idempotencyKey);
  }
}

/** Asks the provider for the claimed payment and records what it decided. */
async function decide(
  deps: PaymentsDeps,
  claimed: PaymentRow,
  input: ChargeInput,
  requestHash: string,
): Promise<ChargeAnswer> {
  let decision: ProviderDecision;
  try {
    decision = await deps.provider.charge(input);
  } catch (error) {
    // The provider client broke (a bug, or an answer it could not read): give the key back so a
    // retry asks again with the same key, and let the failure surface as what it is.
    await releaseClaim(deps.db, claimed);
    throw error;
  }
  if (decision.kind === "unavailable") {
    await releaseClaim(deps.db, claimed);
    throw providerUnavailable();
  }
  const outcome: SettledOutcome = decision.kind === "approved" ? "succeeded" : "failed";
  const settled = await deps.db.transaction(async (tx) => {
    const payment = await settlePayment(tx, claimed.id, outcome, decision.kind === "declined" ? decision.reason : null);
    if (payment === undefined) return undefined;
    if (payment.outcome === "succeeded") {
      await appendCharge(tx, payment);
      await recordPaymentSucceeded(tx, payment);
    } else {
      await recordPaymentFailed(tx, payment);
    }
    return payment;
  });
  if (settled !== undefined) {
    deps.relay.nudge();
    return answer(settled, requestHash);
  }
  // Our claim lapsed while the provider answered, and the request that took it over recorded
  // the (same) decision first: its payment is the answer.
  const winner = await findPaymentByKey(deps.db, input.idempotencyKey);
  if (winner === undefined || !isSettled(winner)) throw chargeInProgress(input.idempotencyKey);
  return answer(winner, requestHash);
}

/** The answer for a payment as it was charged: the same for the first call and every replay. */
function answer(payment: PaymentRow, requestHash: string): ChargeAnswer {
  if (payment.requestHash !== requestHash) throw idempotencyKeyReused(payment.idempotencyKey);
  if (!isSettled(payment)) throw chargeInProgress(payment.idempotencyKey);
  if (payment.outcome === "failed") throw chargeDeclined(payment);
  return { payment: paymentMessage(payment, { refundedMinor: 0n, updatedAt: payment.createdAt }) };
}

/** Waits `ms`, unless the call is cancelled or would run out of time first: then false. */
async function pauseWithin(ms: number, context: Pick<CallContext, "signal" | "deadline">): Promise<boolean> {
  const left = context.deadline === undefined ? Number.POSITIVE_INFINITY : context.deadline.getTime() - Date.now();
  if (context.signal.aborted || left < ms + answerMarginMs) return false;
  await new Promise((resolve) => setTimeout(resolve, ms));
  return !context.signal.aborted;
}
