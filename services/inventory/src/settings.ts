import { type Env, integer, readSettings } from "@weft/mesh";

/** Inventory's own settings, read once at start (the mesh and database ones are read by the runtime). */
export interface InventorySettings {
  /** How long a reservation holds stock when Reserve names no ttl. */
  reservationTtlSeconds: number;
  /**
   * The expiry loop's safety poll: it sleeps until the earliest ACTIVE reservation's expire_time
   * and is woken by a Reserve that expires sooner, so this only bounds how late it sees a
   * reservation another replica made.
   */
  expiryIntervalMs: number;
}

export function inventorySettings(env: Env): InventorySettings {
  return readSettings<InventorySettings>(
    {
      reservationTtlSeconds: ["RESERVATION_TTL_SECONDS", integer(15 * 60, 1, 24 * 60 * 60)],
      expiryIntervalMs: ["RESERVATION_EXPIRY_INTERVAL_MS", integer(30_000, 50, 600_000)],
    },
    env,
  );
}
