/**
 * A latency histogram with logarithmic buckets (each 4 % wider than the last), so any quantile is
 * known to within 2 % with a few hundred counters at most, whatever the number of samples; two
 * histograms merge by adding counters. (The idea of DDSketch, at the scale a console needs.)
 */
export class LatencyHistogram {
  static readonly gamma = 1.04;
  static readonly #logGamma = Math.log(LatencyHistogram.gamma);
  /** Durations below a microsecond share the first bucket. */
  static readonly #minMs = 0.001;
  readonly #counts = new Map<number, number>();
  #total = 0;

  get count(): number {
    return this.#total;
  }

  add(durationMs: number, times = 1): void {
    const index = LatencyHistogram.indexOf(durationMs);
    this.#counts.set(index, (this.#counts.get(index) ?? 0) + times);
    this.#total += times;
  }

  merge(other: LatencyHistogram): void {
    for (const [index, count] of other.#counts) this.#counts.set(index, (this.#counts.get(index) ?? 0) + count);
    this.#total += other.#total;
  }

  /** The q-quantile (0 < q ≤ 1) in milliseconds, or undefined when empty. */
  quantile(q: number): number | undefined {
    if (this.#total === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.#total));
    let seen = 0;
    for (const index of [...this.#counts.keys()].sort((a, b) => a - b)) {
      seen += this.#counts.get(index)!;
      if (seen >= rank) return LatencyHistogram.valueOf(index);
    }
    return undefined;
  }

  static indexOf(durationMs: number): number {
    if (!(durationMs > LatencyHistogram.#minMs)) return 0;
    return Math.ceil(Math.log(durationMs / LatencyHistogram.#minMs) / LatencyHistogram.#logGamma);
  }

  /** The middle of a bucket (geometric), so the error is at most half a bucket either way. */
  static valueOf(index: number): number {
    if (index === 0) return LatencyHistogram.#minMs;
    return (LatencyHistogram.#minMs * LatencyHistogram.gamma ** index * 2) / (1 + LatencyHistogram.gamma);
  }
}
