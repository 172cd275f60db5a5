import { CatalogServiceBinding } from "@weft/gen/shop/catalog/v1/catalog_weft.js";
import { file_shop_catalog_v1_events } from "@weft/gen/shop/catalog/v1/events_pb.js";
import { provide, type ServiceDefinition, type TokenVerifier } from "@weft/mesh";
import { ensureStream, eventStreamOf } from "@weft/mesh/events";
import { identityTokenVerifier } from "./auth/identity-verifier.ts";
import { consumeInventoryEvents } from "./events/inventory-consumer.ts";
import { catalogHandlers } from "./rpc/handlers.ts";
import { catalogSettings } from "./settings.ts";
import { CatalogStore } from "./store/catalog-store.ts";
import * as schema from "./store/schema.ts";

export interface CatalogServiceOptions {
  /**
   * Verifies end users' access tokens. Default: the identity service's JWKS at IDENTITY_ADDR.
   * Tests inject one that trusts keys they sign with.
   */
  tokenVerifier?: TokenVerifier;
}

/** The catalog service: products with admin-only writes, and the availability replica. */
export function catalogService(options: CatalogServiceOptions = {}): ServiceDefinition<typeof schema> {
  return {
    name: "catalog",
    schema,
    migrationsFolder: new URL("../drizzle", import.meta.url).pathname,
    async setup({ mesh, db, bus, relay, env }) {
      const settings = catalogSettings(env);
      // Declare the stream our events go to, so the relay can publish before any consumer exists.
      const stream = eventStreamOf(file_shop_catalog_v1_events.proto.package);
      await ensureStream(bus.jsm, stream.name, stream.subjects);
      const verifier = options.tokenVerifier ?? identityTokenVerifier(mesh, settings);
      const store = new CatalogStore(db, () => relay.nudge());
      const replica = await consumeInventoryEvents({ bus, db, name: settings.inventoryConsumer, logger: mesh.logger });
      return {
        services: [provide(CatalogServiceBinding, catalogHandlers({ store, verifier, pageTokens: mesh.pageTokens }))],
        consumers: [replica],
      };
    },
  };
}
