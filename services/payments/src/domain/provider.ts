import type { Money } from "./money.ts";

/** What a payment provider answers a charge. */
export type ProviderDecision =
  | { readonly kind: "approved" }
  /** Final: the card will not pay this; `reason` is stable and machine-readable. */
  | { readonly kind: "declined"; readonly reason: string }
  /** Transient: nothing happened, and the same request may succeed if tried again. */
  | { readonly kind: "unavailable" };

export interface ProviderChargeRequest {
  readonly paymentMethod: string;
  readonly amount: Money;
  /**
   * Passed on so the provider dedupes too: asked again with a key it has decided (after a crash
   * left our claim pending), it answers its first decision instead of charging again.
   */
  readonly idempotencyKey: string;
}

/**
 * The port to the payment provider; the shop runs against a simulated one (src/provider). Like
 * real providers, it must answer a repeated idempotency key with the decision it made first.
 */
export interface PaymentProvider {
  /** Whether `paymentMethod` is a method this provider can charge at all. */
  accepts(paymentMethod: string): boolean;
  charge(request: ProviderChargeRequest): Promise<ProviderDecision>;
}
