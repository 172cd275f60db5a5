import { CatalogServiceBinding } from "@weft/gen/shop/catalog/v1/catalog_weft.js";
import { provide, type ServiceDefinition } from "@weft/mesh";
import { consumeInventoryEvents } from "./events/inventory-consumer.ts";
import { catalogHandlers } from "./rpc/handlers.ts";
import { catalogSettings } from "./settings.ts";
import { CatalogStore } from "./store/catalog-store.ts";
import * as schema from "./store/schema.ts";

/** The catalog service: products with admin-only writes, and the availability replica. */
export function catalogService(): ServiceDefinition<typeof schema> {
  return {
    name: "catalog",
    schema,
    migrationsFolder: new URL("../drizzle", import.meta.url).pathname,
    async setup({ mesh, db, bus, relay, env }) {
      const settings = catalogSettings(env);
      const store = new CatalogStore(db, () => relay.nudge());
      const replica = await consumeInventoryEvents({ bus, db, name: settings.inventoryConsumer, logger: mesh.logger });
      return {
        services: [provide(CatalogServiceBinding, catalogHandlers({ store, pageTokens: mesh.pageTokens }))],
        consumers: [replica],
      };
    },
  };
}
