import { type ChannelCredentials, Client } from "@grpc/grpc-js";
import { context as otelContext, trace } from "@opentelemetry/api";
import type { ServiceBinding } from "../rpc/binding.ts";
import { type CallHooks, type ClientTransport, createClient, type OutgoingCall } from "../rpc/client.ts";
import { Code, RpcError } from "../rpc/errors.ts";
import { endRpcSpan, injectTraceContext, type RpcMetrics, startRpcSpan } from "../telemetry/index.ts";
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
      return observe(call, options.metrics);
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

/** Propagation, a client span and RED metrics for one outgoing call. */
function observe(call: OutgoingCall, metrics: RpcMetrics | undefined): CallHooks {
  const signal = propagateIncoming(call);
  const span = startRpcSpan("client", call.method);
  injectTraceContext(call.metadata, trace.setSpan(otelContext.active(), span));
  metrics?.started("client", call.method);
  const started = performance.now();
  return {
    signal,
    finish(code: Code, error: RpcError | undefined) {
      endRpcSpan(span, code, error);
      metrics?.observe("client", call.method, code, (performance.now() - started) / 1000);
    },
  };
}
