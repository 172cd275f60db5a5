import type { PaymentProvider } from "../domain/provider.ts";
import type { PaymentsDatabase } from "../store/database.ts";

/** What the handlers need: the database, the relay to nudge after events, the provider. */
export interface PaymentsDeps {
  readonly db: PaymentsDatabase;
  readonly relay: { nudge(): void };
  readonly provider: PaymentProvider;
  readonly charges: {
    /** How long a claimed idempotency key is trusted to be at the provider before another request may take it over. */
    readonly claimMs: number;
  };
}
