import type { Money } from "./money.ts";
import { type PaymentBalance, type PaymentStatus, statusOf } from "./payment.ts";

/** Why a refund cannot be made. */
export type RefundRefusal =
  /** The charge failed: nothing was taken, so nothing can be given back. */
  | { readonly kind: "not_refundable" }
  /** The refund is in another currency than the payment. */
  | { readonly kind: "currency_mismatch"; readonly paymentCurrency: string }
  /** It would give back more than remains (`remainingMinor` may be 0: already fully refunded). */
  | { readonly kind: "exceeds_payment"; readonly requestedMinor: bigint; readonly remainingMinor: bigint };

/** A refund that may be made, and what the payment looks like after it. */
export interface RefundPlan {
  readonly amountMinor: bigint;
  readonly refundedAfterMinor: bigint;
  readonly statusAfter: PaymentStatus;
}

export type RefundDecision =
  | { readonly ok: true; readonly plan: RefundPlan }
  | { readonly ok: false; readonly refusal: RefundRefusal };

/**
 * Plans a refund of `requested` (undefined: everything not yet refunded) against a payment whose
 * refunded total comes from the ledger. Never plans more than was charged.
 */
export function planRefund(payment: PaymentBalance, requested: Money | undefined): RefundDecision {
  if (payment.outcome !== "succeeded") return { ok: false, refusal: { kind: "not_refundable" } };
  if (requested !== undefined && requested.currency !== payment.currency) {
    return { ok: false, refusal: { kind: "currency_mismatch", paymentCurrency: payment.currency } };
  }
  const remainingMinor = payment.amountMinor - payment.refundedMinor;
  const amountMinor = requested?.amountMinor ?? remainingMinor;
  if (amountMinor <= 0n || amountMinor > remainingMinor) {
    return { ok: false, refusal: { kind: "exceeds_payment", requestedMinor: amountMinor, remainingMinor } };
  }
  const refundedAfterMinor = payment.refundedMinor + amountMinor;
  return {
    ok: true,
    plan: {
      amountMinor,
      refundedAfterMinor,
      statusAfter: statusOf({ ...payment, outcome: "succeeded", refundedMinor: refundedAfterMinor }),
    },
  };
}
