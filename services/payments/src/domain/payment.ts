/**
 * Where a charge stands: `pending` while the request that claimed its idempotency key asks the
 * provider, then what the provider answered: the amount was taken, or it was declined.
 */
export type PaymentOutcome = "pending" | "succeeded" | "failed";
/** A charge the provider decided. */
export type SettledOutcome = Exclude<PaymentOutcome, "pending">;

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

/** Whether the provider decided the charge; a pending one is not a payment yet for the API. */
export function isSettled<T extends { readonly outcome: PaymentOutcome }>(
  payment: T,
): payment is T & { readonly outcome: SettledOutcome } {
  return payment.outcome !== "pending";
}

/** Derived rather than stored, so status and refunded amount can never disagree. */
export function statusOf(payment: PaymentBalance & { readonly outcome: SettledOutcome }): PaymentStatus {
  if (payment.outcome === "failed") return "FAILED";
  if (payment.refundedMinor === 0n) return "SUCCEEDED";
  return payment.refundedMinor >= payment.amountMinor ? "REFUNDED" : "PARTIALLY_REFUNDED";
}
