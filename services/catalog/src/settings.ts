import { type Env, readSettings, text } from "@weft/mesh";

/** Catalog's own settings, read once at start (the mesh and database ones are read by the runtime). */
export interface CatalogSettings {
  /** gRPC target of the identity service, whose JWKS verifies admin tokens. */
  identityAddr: string;
  jwtIssuer: string;
  jwtAudience: string;
  /**
   * The durable JetStream consumer of inventory events. One name per deployment: replicas of
   * the catalog share it (and so the work). Tests give each run its own.
   */
  inventoryConsumer: string;
}

export function catalogSettings(env: Env): CatalogSettings {
  return readSettings<CatalogSettings>(
    {
      identityAddr: ["IDENTITY_ADDR", text("127.0.0.1:50051")],
      jwtIssuer: ["JWT_ISSUER", text("weft-identity")],
      jwtAudience: ["JWT_AUDIENCE", text("weft")],
      inventoryConsumer: [
        "CATALOG_INVENTORY_CONSUMER",
        text("catalog-inventory", /^[A-Za-z0-9_-]{1,64}$/, "a consumer name"),
      ],
    },
    env,
  );
}
