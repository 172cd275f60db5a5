import type { MessageInitShape } from "@bufbuild/protobuf";
import type { RefundRequest, RefundResponseSchema } from "@weft/gen/shop/payments/v1/payments_pb.js";
import { v7 as uuidv7 } from "uuid";
import { isSettled } from "../domain/payment.ts";
import { planRefund } from "../domain/refund.ts";
import { refundFingerprint } from "../domain/requests.ts";
import { recordPaymentRefunded } from "../events/payment-events.ts";
import type { PaymentsQueryable } from "../store/database.ts";
import { appendRefund, refundedFromLedger } from "../store/ledger.ts";
import { findPayment, lockPayment, setRefunded } from "../store/payments.ts";
import { findRefundByKey, insertRefund } from "../store/refunds.ts";
import type { RefundRow } from "../store/schema.ts";
import type { PaymentsDeps } from "./deps.ts";
import { idempotencyKeyReused, paymentNotFound, refundRefused } from "./errors.ts";
import { paymentMessage, refundMessage } from "./to-proto.ts";
import { validateRefund } from "./validate.ts";

type RefundAnswer = MessageInitShape<typeof RefundResponseSchema>;

/**
 * Refund: a key seen before answers what it answered first. Otherwise the payment is locked (so
 * refunds of one payment go one at a time), the amount is planned against what the ledger says
 * was refunded, and refund, ledger entry, refunded total and event are written in one transaction.
 */
export async function refund(deps: PaymentsDeps, request: RefundRequest): Promise<RefundAnswer> {
  const input = validateRefund(request);
  const requestHash = refundFingerprint(input);
  const earlier = await findRefundByKey(deps.db, input.idempotencyKey);
  if (earlier !== undefined) return answer(deps.db, earlier, requestHash);

  const made = await deps.db.transaction(async (tx) => {
    const payment = await lockPayment(tx, input.paymentId);
    if (payment === undefined) throw paymentNotFound(input.paymentId);
    // A request with this key may have committed while we waited for the lock.
    const raced = await findRefundByKey(tx, input.idempotencyKey);
    if (raced !== undefined) return { refund: raced, created: false };

    const refundedMinor = await refundedFromLedger(tx, payment.id);
    const decision = planRefund({ ...payment, refundedMinor }, input.amount);
    if (!decision.ok) throw refundRefused(decision.refusal, payment);

    const refund = await insertRefund(tx, {
      id: uuidv7(),
      paymentId: payment.id,
      amountMinor: decision.plan.amountMinor,
      currency: payment.currency,
      reason: input.reason,
      refundedAfterMinor: decision.plan.refundedAfterMinor,
      idempotencyKey: input.idempotencyKey,
      requestHash,
    });
    // Taken meanwhile by a request for another payment: nothing written here, answer from it below.
    if (refund === undefined) return undefined;
    await appendRefund(tx, refund);
    const updated = await setRefunded(tx, payment.id, decision.plan.refundedAfterMinor);
    await recordPaymentRefunded(tx, updated, refund);
    return { refund, created: true };
  });
  if (made?.created) deps.relay.nudge();
  const settled = made?.refund ?? (await findRefundByKey(deps.db, input.idempotencyKey));
  if (settled === undefined) throw new Error("refund for idempotency key conflict not found");
  return answer(deps.db, settled, requestHash);
}

/** The refund and the payment as they were right after it: the same for the first call and every replay. */
async function answer(db: PaymentsQueryable, refund: RefundRow, requestHash: string): Promise<RefundAnswer> {
  if (refund.requestHash !== requestHash) throw idempotencyKeyReused(refund.idempotencyKey);
  const payment = await findPayment(db, refund.paymentId);
  if (payment === undefined || !isSettled(payment)) {
    throw new Error(`payment ${refund.paymentId} of refund ${refund.id} not found or not settled`);
  }
  return {
    refund: refundMessage(refund),
    payment: paymentMessage(payment, { refundedMinor: refund.refundedAfterMinor, updatedAt: refund.createdAt }),
  };
}
