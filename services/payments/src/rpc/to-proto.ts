import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type PaymentRefundSchema, type PaymentSchema, PaymentStatus } from "@weft/gen/shop/payments/v1/payments_pb.js";
import { type PaymentStatus as DomainStatus, type SettledOutcome, statusOf } from "../domain/payment.ts";
import type { PaymentRow, RefundRow } from "../store/schema.ts";

const statuses: Record<DomainStatus, PaymentStatus> = {
  SUCCEEDED: PaymentStatus.SUCCEEDED,
  FAILED: PaymentStatus.FAILED,
  REFUNDED: PaymentStatus.REFUNDED,
  PARTIALLY_REFUNDED: PaymentStatus.PARTIALLY_REFUNDED,
};

export function paymentStatusMessage(status: DomainStatus): PaymentStatus {
  return statuses[status];
}

/**
 * A payment as the API shows it. `asOf` shows it as it was at an earlier point (the answer an
 * idempotent replay repeats): the refunded total then, and the time of that change.
 */
export function paymentMessage(
  row: PaymentRow & { readonly outcome: SettledOutcome },
  asOf?: { refundedMinor: bigint; updatedAt: Date },
): MessageInitShape<typeof PaymentSchema> {
  const refundedMinor = asOf?.refundedMinor ?? row.refundedMinor;
  return {
    id: row.id,
    orderId: row.orderId,
    amount: { amountMinor: row.amountMinor, currency: row.currency },
    refunded: { amountMinor: refundedMinor, currency: row.currency },
    status: paymentStatusMessage(statusOf({ ...row, refundedMinor })),
    failureReason: row.failureReason ?? "",
    createTime: timestampFromDate(row.createdAt),
    updateTime: timestampFromDate(asOf?.updatedAt ?? row.updatedAt),
  };
}

export function refundMessage(row: RefundRow): MessageInitShape<typeof PaymentRefundSchema> {
  return {
    id: row.id,
    paymentId: row.paymentId,
    amount: { amountMinor: row.amountMinor, currency: row.currency },
    reason: row.reason,
    createTime: timestampFromDate(row.createdAt),
  };
}
