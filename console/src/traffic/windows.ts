// RED (rate, errors, duration) over sliding windows, per key (a service's method, an edge of the
// topology). Samples fall into fixed time buckets, so memory is bounded by keys × buckets however
// busy the mesh is, and late spans (exporters batch for seconds) still land in the right bucket.
import { LatencyHistogram } from "./histogram.ts";

export interface RedWindowsOptions {
  /** Width of one bucket (one point of a chart). */
  bucketMs?: number;
  /** How many buckets are kept: bucketMs × buckets is the longest window. */
  buckets?: number;
}

export interface RedPoint {
  /** Start of the bucket, unix ms. */
  timeMs: number;
  count: number;
  errors: number;
  /** Requests per second over the bucket. */
  rate: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
}

export interface RedSummary {
  key: string;
  count: number;
  errors: number;
  /** Requests per second over the window. */
  rate: number;
  /** errors / count, 0 when idle. */
  errorRatio: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  /** One point per bucket of the window, oldest first, idle buckets included. */
  series: RedPoint[];
}

interface Bucket {
  index: number;
  count: number;
  errors: number;
  latency: LatencyHistogram;
}

export class RedWindows {
  readonly bucketMs: number;
  readonly buckets: number;
  readonly #keys = new Map<string, Bucket[]>();

  constructor(options: RedWindowsOptions = {}) {
    this.bucketMs = options.bucketMs ?? 5_000;
    this.buckets = options.buckets ?? 72;
  }

  /** Counts one request that ended at `timeMs`. Samples older than the longest window are ignored. */
  record(key: string, timeMs: number, durationMs: number, error: boolean, nowMs = Date.now()): void {
    const index = Math.floor(timeMs / this.bucketMs);
    const newest = Math.floor(nowMs / this.bucketMs);
    if (index <= newest - this.buckets) return;
    let buckets = this.#keys.get(key);
    if (buckets === undefined) {
      buckets = [];
      this.#keys.set(key, buckets);
    }
    let bucket = buckets.find((b) => b.index === index);
    if (bucket === undefined) {
      bucket = { index, count: 0, errors: 0, latency: new LatencyHistogram() };
      buckets.push(bucket);
      buckets.sort((a, b) => a.index - b.index);
      while (buckets.length > 0 && buckets[0]!.index <= newest - this.buckets) buckets.shift();
    }
    bucket.count++;
    if (error) bucket.errors++;
    bucket.latency.add(durationMs);
  }

  keys(): string[] {
    return [...this.#keys.keys()];
  }

  /** The window of the last `windowMs` (whole buckets, the current one included) of one key. */
  summary(key: string, windowMs: number, nowMs = Date.now()): RedSummary {
    const newest = Math.floor(nowMs / this.bucketMs);
    const width = Math.max(1, Math.min(this.buckets, Math.ceil(windowMs / this.bucketMs)));
    const oldest = newest - width + 1;
    const byIndex = new Map((this.#keys.get(key) ?? []).map((b) => [b.index, b]));
    const latency = new LatencyHistogram();
    const series: RedPoint[] = [];
    let count = 0;
    let errors = 0;
    for (let index = oldest; index <= newest; index++) {
      const bucket = byIndex.get(index);
      count += bucket?.count ?? 0;
      errors += bucket?.errors ?? 0;
      if (bucket) latency.merge(bucket.latency);
      series.push({
        timeMs: index * this.bucketMs,
        count: bucket?.count ?? 0,
        errors: bucket?.errors ?? 0,
        rate: (bucket?.count ?? 0) / (this.bucketMs / 1000),
        p50Ms: bucket?.latency.quantile(0.5),
        p99Ms: bucket?.latency.quantile(0.99),
      });
    }
    // The current bucket is only partly over: divide by the time that has actually passed.
    const seconds = ((width - 1) * this.bucketMs + (nowMs - newest * this.bucketMs)) / 1000;
    return {
      key,
      count,
      errors,
      rate: seconds > 0 ? count / seconds : 0,
      errorRatio: count === 0 ? 0 : errors / count,
      p50Ms: latency.quantile(0.5),
      p99Ms: latency.quantile(0.99),
      series,
    };
  }

  /** Keys with no sample left in the longest window are forgotten. */
  prune(nowMs = Date.now()): void {
    const horizon = Math.floor(nowMs / this.bucketMs) - this.buckets;
    for (const [key, buckets] of this.#keys) {
      while (buckets.length > 0 && buckets[0]!.index <= horizon) buckets.shift();
      if (buckets.length === 0) this.#keys.delete(key);
    }
  }
}
