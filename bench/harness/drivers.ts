// Groups of driver processes aimed at one target, and side-by-side comparison of targets: every
// round runs every variant once (in alternating order), so slow phases of a noisy machine hit all.
import type { DriverRequest, Target } from "../driver.ts";
import { type ChildHandle, startChild } from "./child.ts";
import { cpuPerRequest, type Processes } from "./cpu.ts";
import { type LoadResult, mergeResults, throughput } from "./load.ts";
import { median, type Percentiles, percentiles } from "./stats.ts";

const driverEntry = new URL("../driver.ts", import.meta.url);

export interface DriverGroup {
  readonly processes: number;
  /** The driver processes' ids (for their CPU time). */
  readonly pids: readonly number[];
  closed(concurrency: number, maxRequests: number, maxMs: number): Promise<LoadResult>;
  open(ratePerSecond: number, durationMs: number, maxInFlight: number): Promise<LoadResult>;
  close(): Promise<void>;
}

export async function startDrivers(
  name: string,
  target: Target,
  options: { processes: number; sdkTracing: boolean; cpuProfDir?: string; env?: Record<string, string> },
): Promise<DriverGroup> {
  const children: ChildHandle[] = await Promise.all(
    Array.from({ length: options.processes }, (_, i) =>
      startChild(driverEntry, { name: `${name}-driver-${i}`, cpuProfDir: options.cpuProfDir, env: options.env }),
    ),
  );
  await Promise.all(
    children.map((c) => c.call({ kind: "init", target, sdkTracing: options.sdkTracing } satisfies DriverRequest)),
  );
  // Concurrency c over k processes: the first c mod k get one more; c = 1 uses one process.
  const split = (total: number) =>
    children
      .map((child, i) => ({
        child,
        share: Math.floor(total / children.length) + (i < total % children.length ? 1 : 0),
      }))
      .filter((s) => s.share > 0);
  return {
    processes: children.length,
    pids: children.map((c) => c.pid),
    async closed(concurrency, maxRequests, maxMs) {
      const shares = split(concurrency);
      return mergeResults(
        await Promise.all(
          shares.map(({ child, share }) =>
            child.call<LoadResult>({
              kind: "closed",
              concurrency: share,
              maxRequests: Math.ceil((maxRequests * share) / concurrency),
              maxMs,
            } satisfies DriverRequest),
          ),
        ),
      );
    },
    async open(ratePerSecond, durationMs, maxInFlight) {
      const k = children.length;
      return mergeResults(
        await Promise.all(
          children.map((child) =>
            child.call<LoadResult>({
              kind: "open",
              ratePerSecond: ratePerSecond / k,
              durationMs,
              maxInFlight: Math.ceil(maxInFlight / k),
            } satisfies DriverRequest),
          ),
        ),
      );
    },
    async close() {
      await Promise.all(children.map((c) => c.close()));
    },
  };
}

export interface Variant {
  name: string;
  drivers: DriverGroup;
  /**
   * The processes that serve this variant's requests, by role, whose CPU per request closed-loop
   * rounds record (the drivers are always recorded, as role "driver").
   */
  serving?: Processes;
}

/** One variant at one load level, over all rounds. */
export interface Series {
  variant: string;
  /** "c=32" or "open 1500/s". */
  load: string;
  throughputs: number[];
  p50s: number[];
  p99s: number[];
  errors: number;
  shed: number;
  firstError?: string;
  /** Closed loop: CPU µs per request of each role (see Variant.serving), per round. */
  cpu?: Map<string, number[]>;
}

/** Median CPU µs per request of each role of a series, in the order the roles were given. */
export function cpuSummary(series: Series): Map<string, number> {
  return new Map([...(series.cpu ?? [])].map(([role, values]) => [role, median(values)]));
}

export function summarize(series: Series): { rps: number; p50: number; p99: number } {
  return { rps: median(series.throughputs), p50: median(series.p50s), p99: median(series.p99s) };
}

export interface CompareOptions {
  rounds: number;
  concurrencies: readonly number[];
  maxMs: number;
  maxRequests: number;
  warmupMs: number;
  log: (line: string) => void;
}

/** Closed-loop throughput of every variant at every concurrency, rounds interleaved. */
export async function compareClosed(variants: readonly Variant[], options: CompareOptions): Promise<Series[]> {
  const all: Series[] = [];
  for (const v of variants) {
    const warm = await v.drivers.closed(32, options.maxRequests, options.warmupMs);
    options.log(`  warm-up ${v.name}: ${Math.round(throughput(warm))} req/s`);
  }
  for (const concurrency of options.concurrencies) {
    const byVariant = new Map(
      variants.map((v) => [
        v.name,
        {
          variant: v.name,
          load: `c=${concurrency}`,
          throughputs: [],
          p50s: [],
          p99s: [],
          errors: 0,
          shed: 0,
        } as Series,
      ]),
    );
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      for (const v of order) {
        const series = byVariant.get(v.name)!;
        const processes: Processes = [...(v.serving ?? []), { role: "driver", pids: v.drivers.pids }];
        let result: LoadResult | undefined;
        const cpu = await cpuPerRequest(processes, async () => {
          result = await v.drivers.closed(concurrency, options.maxRequests, options.maxMs);
          return result.count;
        });
        record(series, result!);
        series.cpu ??= new Map();
        for (const [role, micros] of cpu) series.cpu.set(role, [...(series.cpu.get(role) ?? []), micros]);
      }
    }
    for (const s of byVariant.values()) {
      const { rps, p50, p99 } = summarize(s);
      const cpu = [...cpuSummary(s)].map(([role, micros]) => `${role} ${Math.round(micros)}`).join(", ");
      options.log(
        `  ${s.variant.padEnd(28)} ${s.load.padEnd(6)} ${Math.round(rps).toString().padStart(7)} req/s  p50 ${p50.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms  CPU µs/req: ${cpu}${s.errors ? `  errors ${s.errors} (${s.firstError})` : ""}`,
      );
      all.push(s);
    }
  }
  return all;
}

/** Open-model latency of every variant at one fixed rate, rounds interleaved. */
export async function compareOpen(
  variants: readonly Variant[],
  options: {
    rounds: number;
    ratePerSecond: number;
    durationMs: number;
    maxInFlight: number;
    log: (line: string) => void;
  },
): Promise<Series[]> {
  const load = `open ${Math.round(options.ratePerSecond)}/s`;
  const byVariant = new Map(
    variants.map((v) => [
      v.name,
      { variant: v.name, load, throughputs: [], p50s: [], p99s: [], errors: 0, shed: 0 } as Series,
    ]),
  );
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      record(
        byVariant.get(v.name)!,
        await v.drivers.open(options.ratePerSecond, options.durationMs, options.maxInFlight),
      );
    }
  }
  for (const s of byVariant.values()) {
    const { p50, p99 } = summarize(s);
    options.log(
      `  ${s.variant.padEnd(28)} ${s.load.padEnd(12)} p50 ${p50.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms${s.shed ? `  shed ${s.shed}` : ""}${s.errors ? `  errors ${s.errors}` : ""}`,
    );
  }
  return [...byVariant.values()];
}

function record(series: Series, result: LoadResult): void {
  const p: Percentiles = percentiles(result.latenciesMs);
  series.throughputs.push(throughput(result));
  series.p50s.push(p.p50);
  series.p99s.push(p.p99);
  series.errors += result.errors;
  series.shed += result.shed;
  series.firstError ??= result.firstError;
}
