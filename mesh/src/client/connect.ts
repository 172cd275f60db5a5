import { type ChannelCredentials, Client } from "@grpc/grpc-js";
import { context as otelContext, type Span, trace } from "@opentelemetry/api";
import type { MethodInfo, ServiceBinding } from "../rpc/binding.ts";
import { type CallHooks, type ClientTransport, createClient, type OutgoingCall } from "../rpc/client.ts";
import { Code, RpcError } from "../rpc/errors.ts";
import { injectTraceContext, type MethodMetrics, type RpcMetrics, RpcSpanTemplate } from "../telemetry/index.ts";
import { propagateIncoming } from "./propagation.ts";
import { createUpstreamGuard, type UpstreamGuard } from "./resilience.ts";
import { channelOptions } from "./service-config.ts";

export interface ConnectOptions {
  /** gRPC target: `dns:///billing.example.svc.cluster.local:50051`, or `127.0.0.1:50052` locally. */
  target: string;
  credentials: ChannelCredentials;
  /** Names the upstream in errors, logs and metrics; defaults to the target. */
  name?: string;
  /** Budget of a call that sets none. */
  timeoutMs: number;
  retryMaxAttempts: number;
  maxMessageBytes: number;
  breakerThreshold: number;
  breakerHalfOpenMs: number;
  bulkheadLimit: number;
  bulkheadQueue: number;
  metrics?: RpcMetrics;
  /**
   * The only methods this client may call, as the caller's manifest declares them; any other fails
   * before it is sent (PERMISSION_DENIED, as the mesh's policy would answer it). Unset: any method.
   */
  declared?: { paths: ReadonlySet<string>; where: string };
}

/** A typed client of one upstream service, and what it holds open. */
export interface Upstream<C> {
  readonly client: C;
  readonly guard: UpstreamGuard;
  close(): void;
}

/**
 * Connects to one upstream service the way the mesh calls everything: a deadline on every call,
 * the incoming call's deadline, cancellation and headers propagated, trace context and metrics,
 * retries on UNAVAILABLE only for calls safe to repeat, and a breaker and bulkhead in front.
 */
export function connect<Handlers, C>(binding: ServiceBinding<Handlers, C>, options: ConnectOptions): Upstream<C> {
  const service = binding.desc.typeName;
  const settings = { service, maxMessageBytes: options.maxMessageBytes };
  // Two channels: gRPC retries are configured per channel, but whether a call may be retried
  // depends on the call (a mutation is safe to repeat only when it carries an idempotency key).
  const retrying = new Client(
    options.target,
    options.credentials,
    channelOptions({ ...settings, retryMaxAttempts: options.retryMaxAttempts }),
  );
  const once = new Client(options.target, options.credentials, channelOptions({ ...settings, retryMaxAttempts: 1 }));
  const guard = createUpstreamGuard({ upstream: options.name ?? options.target, ...options });
  const observed = new ObservedMethods(options.metrics);
  const transport: ClientTransport = {
    defaultTimeoutMs: options.timeoutMs,
    channelFor: (call) => (safeToRetry(call) ? retrying : once),
    begin: (call) => {
      if (options.declared && !options.declared.paths.has(call.method.path)) {
        throw new RpcError(
          Code.PERMISSION_DENIED,
          `${options.declared.where} does not list ${call.method.path.slice(call.method.path.lastIndexOf(".") + 1)}`,
        );
      }
      return new ObservedCall(call, observed.of(call.method));
    },
    guard: (method, attempt) => guard.run(method, attempt),
  };
  return {
    client: createClient(binding, transport),
    guard,
    close() {
      retrying.close();
      once.close();
    },
  };
}

/** Reads are safe to repeat; a mutation is only when it names itself with an idempotency key. */
export function safeToRetry(call: Pick<OutgoingCall, "method" | "request">): boolean {
  if (call.method.idempotent) return true;
  const field = call.method.idempotencyKeyField;
  if (field === undefined || call.request === null || typeof call.request !== "object") return false;
  const key = (call.request as Record<string, unknown>)[field];
  return typeof key === "string" && key !== "";
}

/** One method's client telemetry, bound once: metric labels, span name and attributes. */
interface ObservedMethod {
  readonly metrics: MethodMetrics | undefined;
  readonly spans: RpcSpanTemplate;
}

class ObservedMethods {
  readonly #byMethod = new Map<MethodInfo, ObservedMethod>();

  constructor(private readonly metrics: RpcMetrics | undefined) {}

  of(method: MethodInfo): ObservedMethod {
    let observed = this.#byMethod.get(method);
    if (observed === undefined) {
      observed = { metrics: this.metrics?.bind("client", method), spans: new RpcSpanTemplate("client", method) };
      this.#byMethod.set(method, observed);
    }
    return observed;
  }
}

/** Propagation, a client span (when sampled) and RED metrics for one outgoing call. */
class ObservedCall implements CallHooks {
  readonly signal: AbortSignal | undefined;
  readonly #span: Span | undefined;
  readonly #started = performance.now();

  constructor(
    call: OutgoingCall,
    private readonly observed: ObservedMethod,
  ) {
    this.signal = propagateIncoming(call);
    const active = otelContext.active();
    this.#span = observed.spans.start(active);
    // Unsampled, the incoming trace context still travels on, so downstream decides the same way.
    injectTraceContext(call.metadata, this.#span === undefined ? active : trace.setSpan(active, this.#span));
    observed.metrics?.started();
  }

  finish(code: Code, error: RpcError | undefined): void {
    if (this.#span !== undefined) this.observed.spans.end(this.#span, code, error);
    this.observed.metrics?.observe(code, (performance.now() - this.#started) / 1000);
  }
}
