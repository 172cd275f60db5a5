import { type Env, integer, readSettings } from "@weft/mesh";

/** Inventory's own settings, read once at start (the mesh and database ones are read by the runtime). */
export interface InventorySettings {
  /** How long a reservation holds stock when Reserve names no ttl. */
  reservationTtlSeconds: number;
  /** How often the expiry loop looks for ACTIVE reservations past their expire_time. */
  expiryIntervalMs: number;
}

export function inventorySettings(env: Env): InventorySettings {
  return readSettings<InventorySettings>(
    {
      reservationTtlSeconds: ["RESERVATION_TTL_SECONDS", integer(15 * 60, 1, 24 * 60 * 60)],
      expiryIntervalMs: ["RESERVATION_EXPIRY_INTERVAL_MS", integer(1_000, 50, 60_000)],
    },
    env,
  );
}
