import type { PaymentProvider, ProviderChargeRequest, ProviderDecision } from "../domain/provider.ts";
import { decideTestCharge, isTestToken } from "../domain/test-tokens.ts";

export interface FakeProviderOptions {
  /** Share of `tok_flaky` charges that fail transiently, from 0 to 1. */
  flakyFailureRate: number;
  /** Numbers in [0, 1); tests inject a fixed sequence to make flaky calls deterministic. */
  random?: () => number;
}

/** The simulated provider behind the test tokens (see domain/test-tokens.ts). */
export class FakeProvider implements PaymentProvider {
  private readonly random: () => number;

  constructor(private readonly options: FakeProviderOptions) {
    this.random = options.random ?? Math.random;
  }

  accepts(paymentMethod: string): boolean {
    return isTestToken(paymentMethod);
  }

  async charge(request: ProviderChargeRequest): Promise<ProviderDecision> {
    if (!isTestToken(request.paymentMethod)) return { kind: "declined", reason: "UNKNOWN_PAYMENT_METHOD" };
    return decideTestCharge(request.paymentMethod, this.random, this.options.flakyFailureRate);
  }
}
