import { type Env, readSettings, text } from "@weft/mesh";

/** Catalog's own settings, read once at start (the mesh and database ones are read by the runtime). */
export interface CatalogSettings {
  /**
   * The durable JetStream consumer of inventory events. One name per deployment: replicas of
   * the catalog share it (and so the work). Tests give each run its own.
   */
  inventoryConsumer: string;
}

export function catalogSettings(env: Env): CatalogSettings {
  return readSettings<CatalogSettings>(
    {
      inventoryConsumer: [
        "CATALOG_INVENTORY_CONSUMER",
        text("catalog-inventory", /^[A-Za-z0-9_-]{1,64}$/, "a consumer name"),
      ],
    },
    env,
  );
}
