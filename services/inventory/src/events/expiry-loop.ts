import { Alarm, type BackgroundTask, type Mesh } from "@weft/mesh";
import type { InventoryStore } from "../store/inventory-store.ts";

/** One round: expire what is due, say when the next reservation expires. */
export type ExpireDue = () => ReturnType<InventoryStore["expireDue"]>;

/**
 * The reservation expiry loop: moves ACTIVE reservations past their expire_time to EXPIRED,
 * returning their stock (ReservationExpired events). Between rounds it sleeps until the next
 * reservation expires, woken early by one held for less time than that (`held`), and at most
 * `intervalMs` (the safety poll for reservations other replicas made). Idle, it commits nothing
 * but that poll.
 */
export class ReservationExpiry {
  private readonly alarm = new Alarm();

  constructor(
    private readonly expireDue: ExpireDue,
    private readonly options: { intervalMs: number; logger: Mesh["logger"] },
  ) {}

  /** A reservation holds stock until `expireTime`. */
  held(expireTime: Date): void {
    this.alarm.dueAt(expireTime);
  }

  /** The loop, until the signal aborts; a failed round is logged and retried at the safety poll. */
  readonly task: BackgroundTask = async (signal) => {
    const { logger, intervalMs } = this.options;
    while (!signal.aborted) {
      let nextExpiry: Date | undefined;
      try {
        const round = await this.expireDue();
        nextExpiry = round.nextExpiry;
        if (round.expired > 0) logger.info({ expired: round.expired }, "reservations expired");
      } catch (error) {
        if (!signal.aborted) logger.warn({ err: error }, "reservation expiry round failed; will retry");
      }
      await this.alarm.sleepUntil(nextExpiry, intervalMs, signal);
    }
  };
}
