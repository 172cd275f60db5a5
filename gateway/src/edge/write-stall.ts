/** What the watch needs of a socket or an HTTP/2 stream. */
export interface WatchedWritable {
  readonly writableNeedDrain: boolean;
  readonly destroyed: boolean;
  once(event: "drain" | "close", listener: () => void): unknown;
  on(event: "drain", listener: () => void): unknown;
}

interface Entry {
  /** When the writable was first seen unable to take more, or undefined while it drains. */
  stalledSince: number | undefined;
  onStall: () => void;
}

/**
 * The write timeout: a response that the client stops reading fills the socket (HTTP/1.1) or the
 * stream's flow-control window (HTTP/2); the writers behind it (NDJSON, Connect streams) then
 * wait for `drain`, and so does the upstream stream they read from, holding its buffers and a
 * slot of the upstream's bulkhead for as long as the client likes. A writable that has not
 * drained for `timeoutMs` is handed to `onStall` (which cuts it). One sweep timer serves every
 * connection; a stall is noticed within a sweep interval of the deadline.
 */
export class WriteStallWatch {
  private readonly watched = new Map<WatchedWritable, Entry>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.sweep(), Math.min(1_000, Math.max(20, Math.floor(timeoutMs / 4))));
    this.timer.unref();
  }

  watch(writable: WatchedWritable, onStall: () => void): void {
    const entry: Entry = { stalledSince: undefined, onStall };
    this.watched.set(writable, entry);
    writable.on("drain", () => {
      entry.stalledSince = undefined;
    });
    writable.once("close", () => this.watched.delete(writable));
  }

  get size(): number {
    return this.watched.size;
  }

  /** Checks every writable; exposed for tests that drive the clock. */
  sweep(): void {
    const now = this.now();
    for (const [writable, entry] of this.watched) {
      if (writable.destroyed) {
        this.watched.delete(writable);
      } else if (!writable.writableNeedDrain) {
        entry.stalledSince = undefined;
      } else if (entry.stalledSince === undefined) {
        entry.stalledSince = now;
      } else if (now - entry.stalledSince >= this.timeoutMs) {
        this.watched.delete(writable);
        entry.onStall();
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
