// A Prometheus histogram whose label sets are bound once, for the per-call path. prom-client's own
// Histogram re-validates and re-hashes the label set on every observe, even through `labels()`,
// which the RPC path paid on every call. Here a child is bound per method at start-up; observing
// is a bucket search and three additions. prom-client still owns the registry and the exposition
// format: this is a metric it renders like its own histograms (`_bucket` with `le`, `_sum`,
// `_count`).
import type { Registry } from "prom-client";

/** One bound label set. */
export interface HistogramChild {
  observe(value: number): void;
}

export interface BoundHistogramOptions {
  name: string;
  help: string;
  /** Upper bounds, ascending; +Inf is implied. */
  buckets: readonly number[];
  registers: readonly Registry[];
}

type Labels = Readonly<Record<string, string | number>>;

/** One exported sample, in the shape prom-client's registry renders (its histograms' own). */
interface Sample {
  metricName: string;
  value: number;
  labels: Labels;
  /** Written after `labels`: the bound label set, so `le` comes first as prom-client writes it. */
  sharedLabels?: Labels;
}

/** What the registry reads from a metric to render it. */
interface Exported {
  name: string;
  help: string;
  type: "histogram";
  aggregator: "sum";
  values: Sample[];
}

type RegisteredMetric = Parameters<Registry["registerMetric"]>[0];

class Child implements HistogramChild {
  /** Per bucket (not cumulative); the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    // Not a number would poison the sum forever; a negative duration is a clock's doing.
    if (!Number.isFinite(value)) return;
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

export class BoundHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = "histogram" as const;
  readonly aggregator = "sum" as const;
  readonly #bounds: readonly number[];
  readonly #children = new Map<string, Child>();

  constructor(options: BoundHistogramOptions) {
    this.name = options.name;
    this.help = options.help;
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
    // The registry's contract is structural (name, help, type, get, reset), but its typing only
    // names prom-client's own classes: hence the one cast.
    for (const registry of options.registers) registry.registerMetric(this as unknown as RegisteredMetric);
  }

  /** The child for one label set: the same child for the same labels, so series never split. */
  bind(labels: Readonly<Record<string, string>>): HistogramChild {
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    let child = this.#children.get(key);
    if (child === undefined) {
      child = new Child({ ...labels }, this.#bounds);
      this.#children.set(key, child);
    }
    return child;
  }

  /** What the text exposition reads: bucket labels first, then the child's, as prom-client writes them. */
  async getForPromString(): Promise<Exported> {
    return this.#export((child, le) => ({ labels: le, sharedLabels: child.labels }));
  }

  /** The JSON form (`registry.getMetricsAsJSON`): each value's labels in full. */
  async get(): Promise<Exported> {
    return this.#export((child, le) => ({ labels: { ...child.labels, ...le } }));
  }

  reset(): void {
    for (const child of this.#children.values()) child.reset();
  }

  #export(labelsOf: (child: Child, le: Labels) => Pick<Sample, "labels" | "sharedLabels">): Exported {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const child of this.#children.values()) {
      if (child.count === 0) continue;
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += child.counts[i]!;
        values.push({ ...labelsOf(child, { le }), value: cumulative, metricName: bucket });
      });
      values.push({ ...labelsOf(child, { le: "+Inf" }), value: child.count, metricName: bucket });
      values.push({ ...labelsOf(child, {}), value: child.sum, metricName: `${this.name}_sum` });
      values.push({ ...labelsOf(child, {}), value: child.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
