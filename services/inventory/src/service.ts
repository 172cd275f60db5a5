import { file_shop_inventory_v1_events } from "@weft/gen/shop/inventory/v1/events_pb.js";
import { InventoryServiceBinding } from "@weft/gen/shop/inventory/v1/inventory_weft.js";
import { provide, type ServiceDefinition, type TokenVerifier } from "@weft/mesh";
import { ensureStream, eventStreamOf } from "@weft/mesh/events";
import { identityTokenVerifier } from "./auth/identity-verifier.ts";
import { expiryLoop } from "./events/expiry-loop.ts";
import { inventoryHandlers } from "./rpc/handlers.ts";
import { inventorySettings } from "./settings.ts";
import { InventoryStore } from "./store/inventory-store.ts";
import * as schema from "./store/schema.ts";

export interface InventoryServiceOptions {
  /**
   * Verifies end users' access tokens. Default: the identity service's JWKS at IDENTITY_ADDR.
   * Tests inject one that trusts keys they sign with.
   */
  tokenVerifier?: TokenVerifier;
}

/** The inventory service: stock, reservations, the expiry loop, stock events via the outbox. */
export function inventoryService(options: InventoryServiceOptions = {}): ServiceDefinition<typeof schema> {
  return {
    name: "inventory",
    schema,
    migrationsFolder: new URL("../drizzle", import.meta.url).pathname,
    async setup({ mesh, db, bus, relay, env }) {
      const settings = inventorySettings(env);
      // Declare the stream our events go to, so the relay can publish before any consumer exists.
      const stream = eventStreamOf(file_shop_inventory_v1_events.proto.package);
      await ensureStream(bus.jsm, stream.name, stream.subjects);
      const verifier = options.tokenVerifier ?? identityTokenVerifier(mesh, settings);
      const store = new InventoryStore(db, () => relay.nudge());
      return {
        services: [
          provide(
            InventoryServiceBinding,
            inventoryHandlers({ store, verifier, defaultTtlMs: settings.reservationTtlSeconds * 1000 }),
          ),
        ],
        background: [expiryLoop(store, { intervalMs: settings.expiryIntervalMs, logger: mesh.logger })],
      };
    },
  };
}
