// In-process notice that an order changed, so WatchOrder answers at once for changes made by
// this replica; WatchOrder still polls the database for changes made by other replicas.
import { EventEmitter } from "node:events";

export class OrderChanges {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  changed(orderId: string): void {
    this.emitter.emit(orderId);
  }

  /** Resolves when the order changes, after `ms`, or when `signal` aborts: whichever comes first. */
  waitFor(orderId: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.emitter.off(orderId, done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.emitter.on(orderId, done);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
