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
 * once; `dueAt(t)` only when `t` comes before the wait would end, because new work falls due
 * earlier than what the loop knew of. Neither is lost while the loop is busy between waits.
 */
export class Alarm {
  private readonly wakeup = new Wakeup();
  /** When the current wait ends by itself; +∞ between waits, so every `dueAt` then counts. */
  private wakesAt = Number.POSITIVE_INFINITY;

  wake(): void {
    this.wakeup.wake();
  }

  /** Work falls due at `at`. */
  dueAt(at: Date | number): void {
    if (+at < this.wakesAt) this.wakeup.wake();
  }

  /**
   * Waits until `due` (now if it has passed; the safety interval if there is none) but at most
   * `maxMs`, or until woken or `signal` aborts; resolves to whether `signal` aborted.
   */
  async sleepUntil(due: Date | number | undefined, maxMs: number, signal?: AbortSignal): Promise<boolean> {
    const now = Date.now();
    const ms = due === undefined ? maxMs : Math.min(maxMs, Math.max(0, +due - now));
    this.wakesAt = now + ms;
    try {
      return await this.wakeup.sleep(ms, signal);
    } finally {
      this.wakesAt = Number.POSITIVE_INFINITY;
    }
  }
}
