/** What the provider answered a charge: the amount was taken, or it was declined. */
export type PaymentOutcome = "succeeded" | "failed";

/** A payment's status as the API reports it, derived from its outcome and what was refunded. */
export type PaymentStatus = "SUCCEEDED" | "FAILED" | "REFUNDED" | "PARTIALLY_REFUNDED";

/** The facts a payment's status and refundability depend on. */
export interface PaymentBalance {
  readonly outcome: PaymentOutcome;
  /** The amount charged (or attempted, for a failed payment). */
  readonly amountMinor: bigint;
  readonly currency: string;
  /** Sum of the payment's refund ledger entries. */
  readonly refundedMinor: bigint;
}

/** Derived rather than stored, so status and refunded amount can never disagree. */
export function statusOf(payment: PaymentBalance): PaymentStatus {
  if (payment.outcome === "failed") return "FAILED";
  if (payment.refundedMinor === 0n) return "SUCCEEDED";
  return payment.refundedMinor >= payment.amountMinor ? "REFUNDED" : "PARTIALLY_REFUNDED";
}
