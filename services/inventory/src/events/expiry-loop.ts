import type { BackgroundTask, Mesh } from "@weft/mesh";
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
  return async (signal) => {
    while (!signal.aborted) {
      try {
        const expired = await store.expireDue();
        if (expired > 0) options.logger.info({ expired }, "reservations expired");
      } catch (error) {
        options.logger.warn({ err: error }, "reservation expiry round failed; will retry");
      }
      await sleep(options.intervalMs, signal);
    }
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
