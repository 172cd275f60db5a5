import { Counter, collectDefaultMetrics, Histogram, type Metric, Registry } from "prom-client";
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
  handling: Histogram<MethodLabel>;
}

/** From 1 ms to 10 s: mesh RPCs are mostly milliseconds, deadlines are seconds. */
interface MethodChildren {
  started: ReturnType<Counter<MethodLabel>["labels"]>;
  handling: ReturnType<Histogram<MethodLabel>["labels"]>;
  handled: Map<number, ReturnType<Counter<HandledLabel>["labels"]>>;
}

const durationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * RED metrics per gRPC method, named as go-grpc-prometheus names them so existing dashboards and
 * alerts work: rate from `*_handled_total`, errors from its `grpc_code` label, duration from
 * `*_handling_seconds`; `*_started_total` minus handled shows calls in flight.
 */
export class RpcMetrics {
  readonly registry: Registry;
  readonly #series: Record<RpcSide, SideSeries>;
  private readonly methodChildren = new Map<string, MethodChildren>();

  constructor(options: RpcMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    if (options.collectDefaultMetrics && this.registry.getSingleMetric("process_start_time_seconds") === undefined) {
      collectDefaultMetrics({ register: this.registry });
    }
    this.#series = { server: this.#sideSeries("server"), client: this.#sideSeries("client") };
  }

  /** Counts a call as it begins. */
  started(side: RpcSide, method: RpcMetricsMethod): void {
    this.#children(side, method).started.inc();
  }

  /** Counts a finished call by its gRPC status code and records how long it took. */
  observe(side: RpcSide, method: RpcMetricsMethod, code: number, durationSeconds: number): void {
    const children = this.#children(side, method);
    let handled = children.handled.get(code);
    if (handled === undefined) {
      handled = this.#series[side].handled.labels({ ...methodLabels(method), grpc_code: statusName(code) });
      children.handled.set(code, handled);
    }
    handled.inc();
    children.handling.observe(durationSeconds);
  }

  /**
   * The labelled series of one method, looked up once: prom-client hashes the label set on every
   * call otherwise, which is measurable on a per-RPC hot path.
   */
  #children(side: RpcSide, method: RpcMetricsMethod): MethodChildren {
    const key = `${side} ${method.service}/${method.name}`;
    let children = this.methodChildren.get(key);
    if (children === undefined) {
      const series = this.#series[side];
      const labels = methodLabels(method);
      children = {
        started: series.started.labels(labels),
        handling: series.handling.labels(labels),
        handled: new Map(),
      };
      this.methodChildren.set(key, children);
    }
    return children;
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
        });
      }),
      handled: this.#shared(`grpc_${side}_handled_total`, Counter, (registers) => {
        return new Counter({
          name: `grpc_${side}_handled_total`,
          help: `Total number of RPCs completed ${where}, regardless of success or failure.`,
          labelNames: ["grpc_service", "grpc_method", "grpc_code"],
          registers,
        });
      }),
      handling: this.#shared(`grpc_${side}_handling_seconds`, Histogram, (registers) => {
        return new Histogram({
          name: `grpc_${side}_handling_seconds`,
          help: `Histogram of response latency (seconds) of gRPC calls completed ${where}.`,
          labelNames: ["grpc_service", "grpc_method"],
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
  #shared<T extends Metric>(
    name: string,
    type: abstract new (...args: never[]) => T,
    create: (registers: Registry[]) => T,
  ): T {
    const existing = this.registry.getSingleMetric(name);
    if (existing === undefined) return create([this.registry]);
    if (existing instanceof type) return existing;
    throw new Error(`metric ${name} is already registered with a different type`);
  }
}

function methodLabels(method: RpcMetricsMethod): Record<MethodLabel, string> {
  return { grpc_service: method.service, grpc_method: method.name };
}
