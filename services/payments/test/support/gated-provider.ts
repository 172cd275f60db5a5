import type { PaymentProvider, ProviderChargeRequest, ProviderDecision } from "../../src/domain/provider.ts";
import { FakeProvider } from "../../src/provider/fake-provider.ts";

/**
 * The simulated provider, but every charge waits until `parties` charges are waiting: requests
 * that race on one key all get past the idempotency lookup before any of them writes, so the
 * database's unique key, not luck, has to keep them to one payment.
 */
export class GatedProvider implements PaymentProvider {
  private readonly inner = new FakeProvider({ flakyFailureRate: 0 });
  private waiting: Array<() => void> = [];
  calls = 0;

  constructor(private readonly parties: number) {}

  accepts(paymentMethod: string): boolean {
    return this.inner.accepts(paymentMethod);
  }

  async charge(request: ProviderChargeRequest): Promise<ProviderDecision> {
    this.calls += 1;
    await new Promise<void>((release) => {
      this.waiting.push(release);
      if (this.waiting.length >= this.parties) {
        for (const go of this.waiting) go();
        this.waiting = [];
      }
    });
    return this.inner.charge(request);
  }
}
