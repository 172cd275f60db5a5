import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ChargeRequest, ChargeResponseSchema } from "@weft/gen/shop/payments/v1/payments_pb.js";
import { v7 as uuidv7 } from "uuid";
import { chargeFingerprint } from "../domain/requests.ts";
import { recordPaymentFailed, recordPaymentSucceeded } from "../events/payment-events.ts";
import { appendCharge } from "../store/ledger.ts";
import { findPaymentByKey, insertPayment } from "../store/payments.ts";
import type { PaymentRow } from "../store/schema.ts";
import type { PaymentsDeps } from "./deps.ts";
import { chargeDeclined, idempotencyKeyReused, providerUnavailable } from "./errors.ts";
import { paymentMessage } from "./to-proto.ts";
import { validateCharge } from "./validate.ts";

type ChargeAnswer = MessageInitShape<typeof ChargeResponseSchema>;

/**
 * Charge: a key seen before answers what it answered first; otherwise the provider decides, and
 * only a final decision (approved or declined) is recorded — payment, ledger entry, event — in
 * one transaction. A transient failure is decided before anything is written, so it leaves no
 * trace and a retry with the same key gets a fresh attempt.
 */
export async function charge(deps: PaymentsDeps, request: ChargeRequest): Promise<ChargeAnswer> {
  const input = validateCharge(request, deps.provider);
  const requestHash = chargeFingerprint(input);
  const earlier = await findPaymentByKey(deps.db, input.idempotencyKey);
  if (earlier !== undefined) return answer(earlier, requestHash);

  const decision = await deps.provider.charge(input);
  if (decision.kind === "unavailable") throw providerUnavailable();

  const created = await deps.db.transaction(async (tx) => {
    const payment = await insertPayment(tx, {
      id: uuidv7(),
      orderId: input.orderId,
      amountMinor: input.amount.amountMinor,
      currency: input.amount.currency,
      outcome: decision.kind === "approved" ? "succeeded" : "failed",
      failureReason: decision.kind === "declined" ? decision.reason : null,
      idempotencyKey: input.idempotencyKey,
      requestHash,
    });
    if (payment === undefined) return undefined;
    if (payment.outcome === "succeeded") {
      await appendCharge(tx, payment);
      await recordPaymentSucceeded(tx, payment);
    } else {
      await recordPaymentFailed(tx, payment);
    }
    return payment;
  });
  if (created !== undefined) {
    deps.relay.nudge();
    return answer(created, requestHash);
  }
  // A concurrent request with the same key committed first: its payment is the answer (with a
  // real provider, the key passed along keeps the provider from charging twice as well).
  const winner = await findPaymentByKey(deps.db, input.idempotencyKey);
  if (winner === undefined) throw new Error(`payment for idempotency key conflict not found`);
  return answer(winner, requestHash);
}

/** The answer for a payment as it was charged: the same for the first call and every replay. */
function answer(payment: PaymentRow, requestHash: string): ChargeAnswer {
  if (payment.requestHash !== requestHash) throw idempotencyKeyReused(payment.idempotencyKey);
  if (payment.outcome === "failed") throw chargeDeclined(payment);
  return { payment: paymentMessage(payment, { refundedMinor: 0n, updatedAt: payment.createdAt }) };
}
