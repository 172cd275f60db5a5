import type { PaymentProvider, ProviderChargeRequest, ProviderDecision } from "../domain/provider.ts";
import { decideTestCharge, isTestToken } from "../domain/test-tokens.ts";

export interface FakeProviderOptions {
  /** Share of `tok_flaky` charges that fail transiently, from 0 to 1. */
  flakyFailureRate: number;
  /** Numbers in [0, 1); tests inject a fixed sequence to make flaky calls deterministic. */
  random?: () => number;
}

/** Decisions remembered per idempotency key; the oldest are forgotten beyond this. */
const rememberedKeys = 100_000;

/**
 * The simulated provider behind the test tokens (see domain/test-tokens.ts). Like a real one it
 * remembers the decision for each idempotency key (in memory: for the process's lifetime), so a
 * charge asked again with the same key is answered, not made twice. A transient failure is not
 * a decision: nothing happened, and the same key may be tried again.
 */
export class FakeProvider implements PaymentProvider {
  private readonly random: () => number;
  private readonly decided = new Map<string, ProviderDecision>();
  /** Charges actually decided (not answered from memory): what a real provider would bill. */
  decisions = 0;

  constructor(private readonly options: FakeProviderOptions) {
    this.random = options.random ?? Math.random;
  }

  accepts(paymentMethod: string): boolean {
    return isTestToken(paymentMethod);
  }

  async charge(request: ProviderChargeRequest): Promise<ProviderDecision> {
    const earlier = this.decided.get(request.idempotencyKey);
    if (earlier !== undefined) return earlier;
    const decision: ProviderDecision = isTestToken(request.paymentMethod)
      ? decideTestCharge(request.paymentMethod, this.random, this.options.flakyFailureRate)
      : { kind: "declined", reason: "UNKNOWN_PAYMENT_METHOD" };
    if (decision.kind === "unavailable") return decision;
    this.decisions += 1;
    this.decided.set(request.idempotencyKey, decision);
    if (this.decided.size > rememberedKeys) {
      const oldest = this.decided.keys().next().value;
      if (oldest !== undefined) this.decided.delete(oldest);
    }
    return decision;
  }
}
