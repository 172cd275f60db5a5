import { fileURLToPath } from "node:url";
import { PaymentServiceBinding } from "@weft/gen/shop/payments/v1/payments_weft.js";
import { provide, type ServiceDefinition } from "@weft/mesh";
import { ensureStream, eventStreamOf } from "@weft/mesh/events";
import type { PaymentProvider } from "./domain/provider.ts";
import { paymentsEventPackage } from "./events/payment-events.ts";
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
    async setup({ db, bus, relay, env }) {
      const settings = paymentsSettingsFromEnv(env);
      // The relay publishes to shop.payments.v1.*: the stream must exist before the first event.
      const stream = eventStreamOf(paymentsEventPackage);
      await ensureStream(bus.jsm, stream.name, stream.subjects);
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
