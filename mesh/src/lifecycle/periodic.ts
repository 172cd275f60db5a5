// Waiting in background work: every loop (outbox relay, saga runner, reservation expiry, key
// rotation) waits between rounds, must stop waiting the moment its stop signal aborts, and some
// must also wake early when told there is work. One implementation of each, here.

/** Waits `ms`, or less when `signal` aborts; resolves to whether it aborted. Never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const finish = (aborted: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(aborted);
    };
    const onAbort = () => finish(true);
    const timer = setTimeout(() => finish(false), Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A wait that can be cut short: `wake()` ends the current `sleep`, or, when nobody is sleeping,
 * the next one (a wake-up is never lost between a round and the wait after it).
 */
export class Wakeup {
  private pending = false;
  private current: AbortController | undefined;

  wake(): void {
    if (this.current) this.current.abort();
    else this.pending = true;
  }

  /** Waits `ms`, or until woken or `signal` aborts; resolves to whether `signal` aborted. */
  async sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return true;
    if (this.pending) {
      this.pending = false;
      return false;
    }
    const woken = new AbortController();
    this.current = woken;
    try {
      await sleep(ms, signal ? AbortSignal.any([signal, woken.signal]) : woken.signal);
    } finally {
      this.current = undefined;
    }
    return signal?.aborted ?? false;
  }
}

export interface EveryOptions {
  /** Told of a round that threw; the loop goes on with the next round. Default: rethrow (ends the loop). */
  onError?: (error: unknown) => void;
  /** Lets others start the next round early (see Wakeup). */
  wakeup?: Wakeup;
  /** Wait one interval before the first round, instead of running it at once. */
  delayFirst?: boolean;
}

/**
 * Runs `round` every `intervalMs` until `signal` aborts: the background loop of a service (a
 * BackgroundTask is `(signal) => every(ms, round, signal)`). A round is never cut off; the loop
 * stops at the first wait after the signal aborts, and the returned promise settles then.
 */
export async function every(
  intervalMs: number,
  round: (signal: AbortSignal) => Promise<unknown>,
  signal: AbortSignal,
  options: EveryOptions = {},
): Promise<void> {
  const wait = (ms: number) => (options.wakeup ? options.wakeup.sleep(ms, signal) : sleep(ms, signal));
  if (options.delayFirst && (await wait(intervalMs))) return;
  while (!signal.aborted) {
    try {
      await round(signal);
    } catch (error) {
      if (!options.onError) throw error;
      if (!signal.aborted) options.onError(error);
    }
    if (await wait(intervalMs)) return;
  }
}

/**
 * A loop's wait until its next due time (a retry, an expiry), never longer than a safety
 * interval: what lets a loop with nothing due sleep instead of polling. `wake()` ends the wait at
 * once (there is work now); `dueAt(t)` moves the end of the wait forward to `t` when that is
 * earlier (work falls due sooner than the loop knew), without a round before then. Neither is
 * lost while the loop is busy between waits.
 */
export class Alarm {
  private readonly wakeup = new Wakeup();
  /** When the current wait ends by itself; +∞ between waits. */
  private wakesAt = Number.POSITIVE_INFINITY;
  /** The earliest `dueAt` heard between waits, for the next wait. */
  private pendingDue = Number.POSITIVE_INFINITY;
  private woken = false;
  private waiting = false;

  wake(): void {
    this.woken = true;
    this.wakeup.wake();
  }

  /** Work falls due at `at`. */
  dueAt(at: Date | number): void {
    const time = +at;
    if (!this.waiting) {
      this.pendingDue = Math.min(this.pendingDue, time);
    } else if (time < this.wakesAt) {
      this.wakesAt = time;
      this.wakeup.wake(); // ends the timer; the wait goes on until the new time
    }
  }

  /**
   * Waits until `due` (now if it has passed; the safety interval if there is none) or an earlier
   * `dueAt`, but at most `maxMs`, or until woken or `signal` aborts; resolves to whether `signal`
   * aborted.
   */
  async sleepUntil(due: Date | number | undefined, maxMs: number, signal?: AbortSignal): Promise<boolean> {
    const now = Date.now();
    this.wakesAt = Math.min(now + maxMs, due === undefined ? Number.POSITIVE_INFINITY : +due, this.pendingDue);
    this.pendingDue = Number.POSITIVE_INFINITY;
    this.waiting = true;
    try {
      for (;;) {
        if (await this.wakeup.sleep(Math.max(0, this.wakesAt - Date.now()), signal)) return true;
        if (this.woken || Date.now() >= this.wakesAt) return false;
      }
    } finally {
      this.woken = false;
      this.waiting = false;
      this.wakesAt = Number.POSITIVE_INFINITY;
    }
  }
}
