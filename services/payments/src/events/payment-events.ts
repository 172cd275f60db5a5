// The payments service's domain events, written to the outbox in the transaction that makes the
// change they announce (never on an idempotent replay, which changes nothing).
import {
  PaymentFailedSchema,
  PaymentRefundedSchema,
  PaymentSucceededSchema,
} from "@weft/gen/shop/payments/v1/events_pb.js";
import { recordEvent } from "@weft/mesh/events";
import { statusOf } from "../domain/payment.ts";
import { paymentStatusMessage } from "../rpc/to-proto.ts";
import type { PaymentsTransaction } from "../store/database.ts";
import type { PaymentRow, RefundRow } from "../store/schema.ts";

function money(amountMinor: bigint, currency: string) {
  return { amountMinor, currency };
}

export async function recordPaymentSucceeded(tx: PaymentsTransaction, payment: PaymentRow): Promise<void> {
  await recordEvent(tx, {
    schema: PaymentSucceededSchema,
    subject: payment.id,
    message: { paymentId: payment.id, orderId: payment.orderId, amount: money(payment.amountMinor, payment.currency) },
  });
}

export async function recordPaymentFailed(tx: PaymentsTransaction, payment: PaymentRow): Promise<void> {
  await recordEvent(tx, {
    schema: PaymentFailedSchema,
    subject: payment.id,
    message: {
      paymentId: payment.id,
      orderId: payment.orderId,
      amount: money(payment.amountMinor, payment.currency),
      failureReason: payment.failureReason ?? "",
    },
  });
}

export async function recordPaymentRefunded(
  tx: PaymentsTransaction,
  payment: PaymentRow,
  refund: RefundRow,
): Promise<void> {
  await recordEvent(tx, {
    schema: PaymentRefundedSchema,
    subject: payment.id,
    message: {
      paymentId: payment.id,
      orderId: payment.orderId,
      refundId: refund.id,
      amount: money(refund.amountMinor, refund.currency),
      refunded: money(refund.refundedAfterMinor, payment.currency),
      // Only a succeeded payment is refunded (planRefund refuses any other).
      status: paymentStatusMessage(
        statusOf({ ...payment, outcome: "succeeded", refundedMinor: refund.refundedAfterMinor }),
      ),
      reason: refund.reason,
    },
  });
}
