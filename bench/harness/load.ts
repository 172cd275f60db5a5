// Request loops, always bounded in count and in time. Closed loop: `concurrency` callers each
// issue the next request when the previous one answers (throughput). Open model: requests start on
// a fixed schedule whether or not earlier ones answered, and latency counts from the scheduled start,
// so a stall is not hidden by the loop waiting for it (no coordinated omission).

export type Call = () => Promise<unknown>;

export interface LoadResult {
  /** Requests that succeeded. */
  count: number;
  errors: number;
  elapsedMs: number;
  /** Latency of every successful request, ms. */
  latenciesMs: Float64Array;
  /** Open model only: starts skipped because maxInFlight requests were already waiting. */
  shed: number;
  firstError?: string;
}

export interface ClosedLoopOptions {
  concurrency: number;
  maxRequests: number;
  maxMs: number;
}

export async function closedLoop(call: Call, options: ClosedLoopOptions): Promise<LoadResult> {
  const latencies = new Float64Array(options.maxRequests);
  let issued = 0;
  let count = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + options.maxMs;
  const worker = async () => {
    while (issued < options.maxRequests && performance.now() < deadline) {
      issued++;
      const t0 = performance.now();
      try {
        await call();
        latencies[count++] = performance.now() - t0;
      } catch (error) {
        errors++;
        firstError ??= describe(error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsedMs = performance.now() - started;
  return { count, errors, elapsedMs, latenciesMs: latencies.slice(0, count), shed: 0, firstError };
}

export interface OpenLoopOptions {
  ratePerSecond: number;
  durationMs: number;
  maxInFlight: number;
}

export async function openLoop(call: Call, options: OpenLoopOptions): Promise<LoadResult> {
  const total = Math.max(1, Math.round((options.ratePerSecond * options.durationMs) / 1000));
  const interval = 1000 / options.ratePerSecond;
  const latencies = new Float64Array(total);
  let count = 0;
  let errors = 0;
  let shed = 0;
  let inFlight = 0;
  let firstError: string | undefined;
  const pending = new Set<Promise<void>>();
  const started = performance.now();
  let next = 0;
  while (next < total) {
    const now = performance.now();
    // Start every request whose scheduled time has come (timers are coarser than the interval).
    while (next < total && started + next * interval <= now) {
      const scheduled = started + next * interval;
      next++;
      if (inFlight >= options.maxInFlight) {
        shed++;
        continue;
      }
      inFlight++;
      const p = call().then(
        () => {
          latencies[count++] = performance.now() - scheduled;
        },
        (error: unknown) => {
          errors++;
          firstError ??= describe(error);
        },
      );
      const tracked = p.finally(() => {
        inFlight--;
        pending.delete(tracked);
      });
      pending.add(tracked);
    }
    const wait = started + next * interval - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(wait, 5))));
  }
  await Promise.all(pending);
  const elapsedMs = performance.now() - started;
  return { count, errors, elapsedMs, latenciesMs: latencies.slice(0, count), shed, firstError };
}

/** Merges the results of several driver processes that ran at the same time. */
export function mergeResults(results: readonly LoadResult[]): LoadResult {
  const count = results.reduce((n, r) => n + r.count, 0);
  const latencies = new Float64Array(count);
  let offset = 0;
  for (const r of results) {
    latencies.set(r.latenciesMs, offset);
    offset += r.latenciesMs.length;
  }
  return {
    count,
    errors: results.reduce((n, r) => n + r.errors, 0),
    elapsedMs: Math.max(...results.map((r) => r.elapsedMs)),
    latenciesMs: latencies,
    shed: results.reduce((n, r) => n + r.shed, 0),
    firstError: results.find((r) => r.firstError !== undefined)?.firstError,
  };
}

export function throughput(result: LoadResult): number {
  return result.elapsedMs > 0 ? (result.count * 1000) / result.elapsedMs : 0;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
