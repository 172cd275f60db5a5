import { createHash } from "node:crypto";
import type { Money } from "./money.ts";

/** A validated Charge. */
export interface ChargeInput {
  readonly orderId: string;
  readonly amount: Money;
  readonly paymentMethod: string;
  readonly idempotencyKey: string;
}

/** A validated Refund; `amount` undefined means everything not yet refunded. */
export interface RefundInput {
  readonly paymentId: string;
  readonly amount: Money | undefined;
  readonly reason: string;
  readonly idempotencyKey: string;
}

/**
 * What an idempotency key is bound to: a digest of every field of the first request but the key,
 * so a retry matches and a different request under the same key does not. A digest, because the
 * payment method must not be stored in full.
 */
export function chargeFingerprint(input: ChargeInput): string {
  return digest([
    "charge",
    input.orderId,
    input.amount.amountMinor.toString(),
    input.amount.currency,
    input.paymentMethod,
  ]);
}

export function refundFingerprint(input: RefundInput): string {
  const amount = input.amount === undefined ? ["all"] : [input.amount.amountMinor.toString(), input.amount.currency];
  return digest(["refund", input.paymentId, ...amount, input.reason]);
}

function digest(parts: readonly string[]): string {
  // JSON keeps the parts apart: ["a", "bc"] and ["ab", "c"] differ.
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}
