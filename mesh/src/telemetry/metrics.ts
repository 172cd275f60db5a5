import { Counter, collectDefaultMetrics, Registry } from "prom-client";
import { BoundHistogram } from "./bound-histogram.ts";
import type { RpcSide } from "./spans.ts";
import { statusName } from "./status.ts";

export interface RpcMetricsOptions {
  /** Where the series are registered; a fresh Registry per instance when omitted. */
  registry?: Registry;
  /** Also export prom-client's process and Node.js runtime metrics on this registry. */
  collectDefaultMetrics?: boolean;
}

export interface RpcMetricsMethod {
  service: string;
  name: string;
}

type MethodLabel = "grpc_service" | "grpc_method";
type HandledLabel = MethodLabel | "grpc_code";

interface SideSeries {
  started: Counter<MethodLabel>;
  handled: Counter<HandledLabel>;
  handling: BoundHistogram;
}

/** One method's series on one side, with their labels bound (prom-client hashes label sets otherwise). */
export interface MethodMetrics {
  /** Counts a call as it begins. */
  started(): void;
  /** Counts a finished call by its gRPC status code and records how long it took. */
  observe(code: number, durationSeconds: number): void;
}

/** From 1 ms to 10 s: mesh RPCs are mostly milliseconds, deadlines are seconds. */
const durationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * RED metrics per gRPC method, named as go-grpc-prometheus names them so existing dashboards and
 * alerts work: rate from `*_handled_total`, errors from its `grpc_code` label, duration from
 * `*_handling_seconds`; `*_started_total` minus handled shows calls in flight.
 */
export class RpcMetrics {
  readonly registry: Registry;
  readonly #series: Record<RpcSide, SideSeries>;
  private readonly bound = new Map<string, MethodMetrics>();

  constructor(options: RpcMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    if (options.collectDefaultMetrics && this.registry.getSingleMetric("process_start_time_seconds") === undefined) {
      collectDefaultMetrics({ register: this.registry });
    }
    this.#series = { server: this.#sideSeries("server"), client: this.#sideSeries("client") };
  }

  /** Counts a call as it begins. */
  started(side: RpcSide, method: RpcMetricsMethod): void {
    this.bind(side, method).started();
  }

  /** Counts a finished call by its gRPC status code and records how long it took. */
  observe(side: RpcSide, method: RpcMetricsMethod, code: number, durationSeconds: number): void {
    this.bind(side, method).observe(code, durationSeconds);
  }

  /**
   * The series of one method on one side, bound to their labels: what a hot path holds on to, so
   * that recording a call looks nothing up.
   */
  bind(side: RpcSide, method: RpcMetricsMethod): MethodMetrics {
    const key = `${side} ${method.service}/${method.name}`;
    let bound = this.bound.get(key);
    if (bound === undefined) {
      const series = this.#series[side];
      const labels = methodLabels(method);
      const handling = series.handling.bind(labels);
      // Counted in plain numbers and handed to prom-client when it is read: its label children
      // hash their label set on every increment, which a per-call path pays for measurably.
      let started = 0;
      const handled = new Array<number>(codeCount).fill(0);
      flushesOf(series.started).push(() => {
        if (started > 0) series.started.inc(labels, started);
        started = 0;
      });
      flushesOf(series.handled).push(() => {
        for (let code = 0; code < codeCount; code++) {
          const count = handled[code]!;
          if (count > 0) series.handled.inc({ ...labels, grpc_code: statusName(code) }, count);
          handled[code] = 0;
        }
      });
      bound = {
        started: () => {
          started++;
        },
        observe(code, durationSeconds) {
          handled[code >= 0 && code < codeCount ? code : 2]!++;
          handling.observe(durationSeconds);
        },
      };
      this.bound.set(key, bound);
    }
    return bound;
  }

  #sideSeries(side: RpcSide): SideSeries {
    const where = side === "server" ? "on the server" : "by the client";
    return {
      started: this.#shared(`grpc_${side}_started_total`, Counter, (registers) => {
        return new Counter({
          name: `grpc_${side}_started_total`,
          help: `Total number of RPCs started ${where}.`,
          labelNames: ["grpc_service", "grpc_method"],
          registers,
          collect: flushCounts,
        });
      }),
      handled: this.#shared(`grpc_${side}_handled_total`, Counter, (registers) => {
        return new Counter({
          name: `grpc_${side}_handled_total`,
          help: `Total number of RPCs completed ${where}, regardless of success or failure.`,
          labelNames: ["grpc_service", "grpc_method", "grpc_code"],
          registers,
          collect: flushCounts,
        });
      }),
      // Bound per method once (see bound-histogram.ts): prom-client's children hash per observe.
      handling: this.#shared(`grpc_${side}_handling_seconds`, BoundHistogram, (registers) => {
        return new BoundHistogram({
          name: `grpc_${side}_handling_seconds`,
          help: `Histogram of response latency (seconds) of gRPC calls completed ${where}.`,
          buckets: durationBuckets,
          registers,
        });
      }),
    };
  }

  /**
   * Reuses a series already on a shared registry (a server and a client exporting together), since
   * prom-client refuses to register one name twice.
   */
  #shared<T extends object>(
    name: string,
    type: abstract new (...args: never[]) => T,
    create: (registers: Registry[]) => T,
  ): T {
    const existing: unknown = this.registry.getSingleMetric(name);
    if (existing === undefined) return create([this.registry]);
    if (existing instanceof type) return existing;
    throw new Error(`metric ${name} is already registered with a different type`);
  }
}

/** gRPC status codes are 0 (OK) to 16 (UNAUTHENTICATED); anything else counts as UNKNOWN (2). */
const codeCount = 17;

/** What each counter runs before it is read: the bound methods' pending counts. */
const flushes = new WeakMap<object, Array<() => void>>();

function flushesOf(counter: object): Array<() => void> {
  let list = flushes.get(counter);
  if (list === undefined) {
    list = [];
    flushes.set(counter, list);
  }
  return list;
}

function flushCounts(this: Counter<string>): void {
  for (const flush of flushes.get(this) ?? []) flush();
}

function methodLabels(method: RpcMetricsMethod): Record<MethodLabel, string> {
  return { grpc_service: method.service, grpc_method: method.name };
}
