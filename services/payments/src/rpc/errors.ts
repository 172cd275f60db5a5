// Domain outcomes as gRPC statuses with stable ErrorInfo reasons the orders saga branches on.
import { Code, errorWithReason, invalidArgument, type RpcError } from "@weft/mesh";
import type { RefundRefusal } from "../domain/refund.ts";
import type { PaymentRow } from "../store/schema.ts";

export function paymentNotFound(id: string): RpcError {
  return errorWithReason(Code.NOT_FOUND, "PAYMENT_NOT_FOUND", `payment ${id} not found`, {
    metadata: { payment_id: id },
  });
}

/**
 * The key was first used with another request (other order, amount, method, payment…). The
 * request itself is well-formed; what makes it fail is the state the key is already bound to,
 * hence FAILED_PRECONDITION rather than INVALID_ARGUMENT. Retrying cannot help.
 */
export function idempotencyKeyReused(idempotencyKey: string): RpcError {
  return errorWithReason(
    Code.FAILED_PRECONDITION,
    "IDEMPOTENCY_KEY_REUSED",
    "idempotency_key was already used for a different request",
    { metadata: { idempotency_key: idempotencyKey } },
  );
}

/** The provider declined: final, and a replay of the key repeats it with the same payment id. */
export function chargeDeclined(payment: PaymentRow): RpcError {
  const reason = payment.failureReason ?? "CARD_DECLINED";
  return errorWithReason(Code.FAILED_PRECONDITION, reason, `the payment method was declined (${reason})`, {
    metadata: { payment_id: payment.id, order_id: payment.orderId },
  });
}

/** Transient: nothing was recorded, so the caller may retry with the same key. */
export function providerUnavailable(): RpcError {
  return errorWithReason(Code.UNAVAILABLE, "PROVIDER_UNAVAILABLE", "the payment provider is unavailable, try again");
}

/**
 * Another request with this key is asking the provider right now and did not finish within this
 * call's time: nothing was done by this call. Retry with the same key to get that outcome.
 */
export function chargeInProgress(idempotencyKey: string): RpcError {
  return errorWithReason(
    Code.ABORTED,
    "CHARGE_IN_PROGRESS",
    "a charge with this idempotency_key is in progress; retry with the same key for its outcome",
    { metadata: { idempotency_key: idempotencyKey } },
  );
}

export function refundRefused(refusal: RefundRefusal, payment: PaymentRow): RpcError {
  switch (refusal.kind) {
    case "not_refundable":
      return errorWithReason(
        Code.FAILED_PRECONDITION,
        "PAYMENT_NOT_REFUNDABLE",
        `payment ${payment.id} did not succeed`,
        {
          metadata: { payment_id: payment.id },
        },
      );
    case "currency_mismatch":
      return invalidArgument([
        { field: "amount.currency", description: `must be the payment's currency ${refusal.paymentCurrency}` },
      ]);
    case "exceeds_payment":
      return errorWithReason(
        Code.FAILED_PRECONDITION,
        "REFUND_EXCEEDS_PAYMENT",
        `refund of ${refusal.requestedMinor} exceeds the ${refusal.remainingMinor} not yet refunded`,
        { metadata: { payment_id: payment.id, remaining_minor: refusal.remainingMinor.toString() } },
      );
  }
}
