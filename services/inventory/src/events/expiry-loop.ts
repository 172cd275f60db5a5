import { type BackgroundTask, every, type Mesh } from "@weft/mesh";
import type { InventoryStore } from "../store/inventory-store.ts";

/**
 * The reservation expiry loop: every interval it moves ACTIVE reservations past their
 * expire_time to EXPIRED, returning their stock (ReservationExpired events). Returns when the
 * signal aborts; a failed round is logged and retried on the next tick.
 */
export function expiryLoop(
  store: InventoryStore,
  options: { intervalMs: number; logger: Mesh["logger"] },
): BackgroundTask {
  return (signal) =>
    every(
      options.intervalMs,
      async () => {
        const expired = await store.expireDue();
        if (expired > 0) options.logger.info({ expired }, "reservations expired");
      },
      signal,
      { onError: (error) => options.logger.warn({ err: error }, "reservation expiry round failed; will retry") },
    );
}
