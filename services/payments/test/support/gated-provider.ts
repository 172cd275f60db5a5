import type { PaymentProvider, ProviderChargeRequest, ProviderDecision } from "../../src/domain/provider.ts";
import { FakeProvider } from "../../src/provider/fake-provider.ts";

/**
 * The simulated provider with a gate: while `hold()` is on, every charge waits at the provider
 * until `release()`, so a test can have one request at the provider while others arrive with the
 * same key. `calls` counts every request that reached the provider.
 */
export class GatedProvider implements PaymentProvider {
  readonly inner = new FakeProvider({ flakyFailureRate: 0 });
  readonly calls: ProviderChargeRequest[] = [];
  private holding = false;
  private waiting: Array<() => void> = [];

  accepts(paymentMethod: string): boolean {
    return this.inner.accepts(paymentMethod);
  }

  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    for (const go of this.waiting.splice(0)) go();
  }

  /** Calls that reached the provider for one idempotency key. */
  callsFor(idempotencyKey: string): number {
    return this.calls.filter((c) => c.idempotencyKey === idempotencyKey).length;
  }

  async charge(request: ProviderChargeRequest): Promise<ProviderDecision> {
    this.calls.push(request);
    if (this.holding) await new Promise<void>((go) => this.waiting.push(go));
    return this.inner.charge(request);
  }
}
