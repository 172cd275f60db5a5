// The orders service: OrderService over the mesh, plus the saga runner in the background.
import { toJson } from "@bufbuild/protobuf";
import { CatalogServiceBinding } from "@weft/gen/shop/catalog/v1/catalog_weft.js";
import { GetJwksResponseSchema } from "@weft/gen/shop/identity/v1/identity_pb.js";
import { IdentityServiceBinding } from "@weft/gen/shop/identity/v1/identity_weft.js";
import { InventoryServiceBinding } from "@weft/gen/shop/inventory/v1/inventory_weft.js";
import { OrderServiceBinding } from "@weft/gen/shop/orders/v1/orders_weft.js";
import { PaymentServiceBinding } from "@weft/gen/shop/payments/v1/payments_weft.js";
import { type BackgroundTask, ConfigError, provide, type ServiceDefinition, TokenVerifier } from "@weft/mesh";
import { ensureStream, eventStreamOf } from "@weft/mesh/events";
import type { JSONWebKeySet } from "jose";
import type { SagaPolicy } from "./domain/saga.ts";
import { orderHandlers } from "./rpc/order-handlers.ts";
import { SagaExecutor } from "./saga/executor.ts";
import { OrderChanges } from "./saga/order-changes.ts";
import { SagaRunner } from "./saga/runner.ts";
import { readOrdersSettings } from "./settings.ts";
import * as schema from "./store/schema.ts";

export interface OrdersServiceOptions {
  /** Replaces the identity-backed token verifier (tests that sign their own tokens). */
  verifier?: Pick<TokenVerifier, "userOf">;
  /** Replaces Math.random in retry jitter. */
  random?: () => number;
}

export function ordersService(overrides: OrdersServiceOptions = {}): ServiceDefinition<typeof schema> {
  return {
    name: "orders",
    schema,
    migrationsFolder: new URL("../drizzle", import.meta.url).pathname,
    async setup({ mesh, db, bus, relay, env }) {
      const settings = readOrdersSettings(env);
      // Producers declare their stream too (idempotently), so events are kept before any consumer exists.
      const stream = eventStreamOf("shop.orders.v1");
      await ensureStream(bus.jsm, stream.name, stream.subjects);
      if (settings.backoffMaxMs < settings.backoffBaseMs) {
        throw new ConfigError("SAGA_BACKOFF_MAX_MS must be at least SAGA_BACKOFF_BASE_MS");
      }
      if (settings.leaseMs <= settings.callTimeoutMs) {
        throw new ConfigError("SAGA_LEASE_MS must be longer than SAGA_CALL_TIMEOUT_MS");
      }
      const identity = mesh.connect(IdentityServiceBinding, { target: settings.identityAddr, name: "identity" });
      const verifier =
        overrides.verifier ??
        new TokenVerifier({
          issuer: settings.jwtIssuer,
          audience: settings.jwtAudience,
          // proto3 JSON of GetJwksResponse is the JWKS: the field names are the JWK names.
          fetchJwks: async () => toJson(GetJwksResponseSchema, await identity.getJwks({})) as unknown as JSONWebKeySet,
        });
      const policy: SagaPolicy = {
        stepTimeoutMs: settings.stepTimeoutSeconds * 1000,
        baseBackoffMs: settings.backoffBaseMs,
        maxBackoffMs: settings.backoffMaxMs,
        random: overrides.random ?? Math.random,
      };
      const changes = new OrderChanges();
      const executor = new SagaExecutor({
        inventory: mesh.connect(InventoryServiceBinding, { target: settings.inventoryAddr, name: "inventory" }),
        payments: mesh.connect(PaymentServiceBinding, { target: settings.paymentsAddr, name: "payments" }),
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
        verifier,
        catalog: mesh.connect(CatalogServiceBinding, { target: settings.catalogAddr, name: "catalog" }),
        relay,
        changes,
        nudgeSagas: () => runner.nudge(),
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
