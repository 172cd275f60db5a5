import { InventoryServiceBinding } from "@weft/gen/shop/inventory/v1/inventory_weft.js";
import { provide, type ServiceDefinition } from "@weft/mesh";
import { expiryLoop } from "./events/expiry-loop.ts";
import { inventoryHandlers } from "./rpc/handlers.ts";
import { inventorySettings } from "./settings.ts";
import { InventoryStore } from "./store/inventory-store.ts";
import * as schema from "./store/schema.ts";

/** The inventory service: stock, reservations, the expiry loop, stock events via the outbox. */
export function inventoryService(): ServiceDefinition<typeof schema> {
  return {
    name: "inventory",
    schema,
    migrationsFolder: new URL("../drizzle", import.meta.url).pathname,
    async setup({ mesh, db, relay, env }) {
      const settings = inventorySettings(env);
      const store = new InventoryStore(db, () => relay.nudge());
      return {
        services: [
          provide(
            InventoryServiceBinding,
            inventoryHandlers({ store, defaultTtlMs: settings.reservationTtlSeconds * 1000 }),
          ),
        ],
        background: [expiryLoop(store, { intervalMs: settings.expiryIntervalMs, logger: mesh.logger })],
      };
    },
  };
}
