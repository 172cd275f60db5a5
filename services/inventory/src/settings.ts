import { type Env, integer, readSettings, text } from "@weft/mesh";

/** Inventory's own settings, read once at start (the mesh and database ones are read by the runtime). */
export interface InventorySettings {
  /** gRPC target of the identity service, whose JWKS verifies admin tokens. */
  identityAddr: string;
  jwtIssuer: string;
  jwtAudience: string;
  /** How long a reservation holds stock when Reserve names no ttl. */
  reservationTtlSeconds: number;
  /** How often the expiry loop looks for ACTIVE reservations past their expire_time. */
  expiryIntervalMs: number;
}

export function inventorySettings(env: Env): InventorySettings {
  return readSettings<InventorySettings>(
    {
      identityAddr: ["IDENTITY_ADDR", text("127.0.0.1:50051")],
      jwtIssuer: ["JWT_ISSUER", text("weft-identity")],
      jwtAudience: ["JWT_AUDIENCE", text("weft")],
      reservationTtlSeconds: ["RESERVATION_TTL_SECONDS", integer(15 * 60, 1, 24 * 60 * 60)],
      expiryIntervalMs: ["RESERVATION_EXPIRY_INTERVAL_MS", integer(1_000, 50, 60_000)],
    },
    env,
  );
}
