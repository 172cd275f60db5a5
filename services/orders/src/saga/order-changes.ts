// In-process notice that an order changed, so WatchOrder answers at once for changes made by
// this replica; WatchOrder still polls the database for changes made by other replicas.
import { EventEmitter } from "node:events";
import { sleep } from "@weft/mesh";

export class OrderChanges {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  changed(orderId: string): void {
    this.emitter.emit(orderId);
  }

  /** Resolves when the order changes, after `ms`, or when `signal` aborts: whichever comes first. */
  async waitFor(orderId: string, ms: number, signal: AbortSignal): Promise<void> {
    const changed = new AbortController();
    const onChange = () => changed.abort();
    this.emitter.once(orderId, onChange);
    try {
      await sleep(ms, AbortSignal.any([signal, changed.signal]));
    } finally {
      this.emitter.off(orderId, onChange);
    }
  }
}
