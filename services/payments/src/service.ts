import { fileURLToPath } from "node:url";
import { PaymentServiceBinding } from "@weft/gen/shop/payments/v1/payments_weft.js";
import { provide, type ServiceDefinition } from "@weft/mesh";
import type { PaymentProvider } from "./domain/provider.ts";
import { FakeProvider } from "./provider/fake-provider.ts";
import { createPaymentHandlers } from "./rpc/handlers.ts";
import { paymentsSettingsFromEnv } from "./settings.ts";
import * as schema from "./store/schema.ts";

export interface PaymentsServiceOptions {
  /** The simulated provider's random source, numbers in [0, 1): tests make flaky calls deterministic. */
  random?: () => number;
  /** Replaces the simulated provider altogether. */
  provider?: PaymentProvider;
}

/** The payments service; options are for tests, main.ts uses the defaults. */
export function createPaymentsService(options: PaymentsServiceOptions = {}): ServiceDefinition<typeof schema> {
  return {
    name: "payments",
    schema,
    migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
    async setup({ db, relay, env }) {
      const settings = paymentsSettingsFromEnv(env);
      const provider =
        options.provider ??
        new FakeProvider({
          flakyFailureRate: settings.flakyFailureRate,
          ...(options.random ? { random: options.random } : {}),
        });
      return {
        services: [
          provide(
            PaymentServiceBinding,
            createPaymentHandlers({ db, relay, provider, charges: { claimMs: settings.chargeClaimMs } }),
          ),
        ],
      };
    },
  };
}

export const paymentsService = createPaymentsService();
