import { InventoryServiceBinding } from "@weft/gen/shop/inventory/v1/inventory_weft.js";
import { provide, type ServiceDefinition } from "@weft/mesh";
import { ReservationExpiry } from "./events/expiry-loop.ts";
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
      // Each needs the other: the loop expires through the store, the store tells it of new holds.
      const expiry = new ReservationExpiry(() => store.expireDue(), {
        intervalMs: settings.expiryIntervalMs,
        logger: mesh.logger,
      });
      const store = new InventoryStore(db, {
        published: () => relay.nudge(),
        held: (expireTime) => expiry.held(expireTime),
      });
      return {
        services: [
          provide(
            InventoryServiceBinding,
            inventoryHandlers({ store, defaultTtlMs: settings.reservationTtlSeconds * 1000 }),
          ),
        ],
        background: [expiry.task],
      };
    },
  };
}
