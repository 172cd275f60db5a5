// The orders service: OrderService over the mesh, plus the saga runner in the background.
import { CatalogServiceBinding } from "@weft/gen/shop/catalog/v1/catalog_weft.js";
import { InventoryServiceBinding } from "@weft/gen/shop/inventory/v1/inventory_weft.js";
import { OrderServiceBinding } from "@weft/gen/shop/orders/v1/orders_weft.js";
import { PaymentServiceBinding } from "@weft/gen/shop/payments/v1/payments_weft.js";
import { type BackgroundTask, ConfigError, provide, type ServiceDefinition } from "@weft/mesh";
import type { SagaPolicy } from "./domain/saga.ts";
import { orderHandlers } from "./rpc/order-handlers.ts";
import { SagaExecutor } from "./saga/executor.ts";
import { OrderChanges } from "./saga/order-changes.ts";
import { SagaRunner } from "./saga/runner.ts";
import { readOrdersSettings } from "./settings.ts";
import * as schema from "./store/schema.ts";

export interface OrdersServiceOptions {
  /** Replaces Math.random in retry jitter. */
  random?: () => number;
}

export function ordersService(overrides: OrdersServiceOptions = {}): ServiceDefinition<typeof schema> {
  return {
    name: "orders",
    schema,
    migrationsFolder: new URL("../drizzle", import.meta.url).pathname,
    async setup({ mesh, db, relay, env, connect }) {
      const settings = readOrdersSettings(env);
      if (settings.backoffMaxMs < settings.backoffBaseMs) {
        throw new ConfigError("SAGA_BACKOFF_MAX_MS must be at least SAGA_BACKOFF_BASE_MS");
      }
      if (settings.leaseMs <= settings.callTimeoutMs) {
        throw new ConfigError("SAGA_LEASE_MS must be longer than SAGA_CALL_TIMEOUT_MS");
      }
      const policy: SagaPolicy = {
        stepTimeoutMs: settings.stepTimeoutSeconds * 1000,
        baseBackoffMs: settings.backoffBaseMs,
        maxBackoffMs: settings.backoffMaxMs,
        random: overrides.random ?? Math.random,
      };
      const changes = new OrderChanges();
      const executor = new SagaExecutor({
        inventory: connect(InventoryServiceBinding),
        payments: connect(PaymentServiceBinding),
        callTimeoutMs: settings.callTimeoutMs,
        reservationTtlMs: settings.reservationTtlSeconds * 1000,
      });
      const runner = new SagaRunner({
        db,
        relay,
        executor,
        changes,
        logger: mesh.logger,
        policy,
        pollMs: settings.pollIntervalMs,
        maxInFlight: settings.maxInFlight,
        leaseMs: settings.leaseMs,
      });
      const background: BackgroundTask[] = settings.runnerEnabled ? [(signal) => runner.run(signal)] : [];
      const handlers = orderHandlers({
        db,
        catalog: connect(CatalogServiceBinding),
        relay,
        changes,
        // A runner that is not enabled never runs, so it hands out no leases: sagas wait for others.
        sagas: runner,
        policy,
        watchPollMs: settings.watchPollMs,
        cancelWaitMs: settings.cancelWaitMs,
        pageTokens: mesh.pageTokens,
      });
      return { services: [provide(OrderServiceBinding, handlers)], background };
    },
  };
}

export const definition = ordersService();
