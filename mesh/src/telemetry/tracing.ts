import { context, propagation } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { sdkSampler, setTracesSampling, tracesSamplingFromEnv } from "./sampling.ts";

export interface TracingOptions {
  /** service.name of exported spans, unless the operator sets OTEL_SERVICE_NAME. */
  serviceName: string;
  /** Environment consulted for the on/off decision; process.env when omitted. */
  env?: NodeJS.ProcessEnv;
}

export type ShutdownTracing = () => Promise<void>;

/**
 * Whether the standard OTEL_* variables ask for an SDK with a trace exporter. Off unless something
 * names an exporter or an OTLP endpoint; OTEL_SDK_DISABLED=true always wins. Mirrors how the NodeSDK
 * reads the same variables, so we never start an SDK that would configure nothing.
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "");
  // The SDK treats a leading "none" as "no tracing" even if endpoints are set (for metrics or logs).
  if (exporters.length > 0) return exporters[0] !== "none";
  return isSet(env.OTEL_EXPORTER_OTLP_ENDPOINT) || isSet(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

let started: Promise<ShutdownTracing> | undefined;

/**
 * Sets up tracing for the process; the first call decides and later calls share its result, so
 * several servers in one process can each call it. Context propagation is always registered
 * (AsyncLocalStorage + W3C trace context) so incoming trace ids flow to outgoing calls and to logs
 * even with no SDK. The NodeSDK is started only when `tracingRequested`; it then reads every other
 * OTEL_* variable (exporter, endpoint, protocol, OTEL_PROPAGATORS) itself from process.env; the sampler
 * (OTEL_TRACES_SAMPLER, _ARG) is the mesh's, so that an RPC the mesh did not sample costs nothing.
 */
export function startTracing(options: TracingOptions): Promise<ShutdownTracing> {
  started ??= start(options).catch((error: unknown) => {
    started = undefined;
    throw error;
  });
  return started;
}

async function start(options: TracingOptions): Promise<ShutdownTracing> {
  const env = options.env ?? process.env;
  const sampling = tracesSamplingFromEnv(env);
  setTracesSampling(sampling);
  if (!tracingRequested(env)) {
    registerPropagationGlobals();
    return async () => {};
  }
  // Imported lazily: the SDK pulls in every exporter, which the default (off) path never needs.
  const [{ NodeSDK }, samplers] = await Promise.all([
    import("@opentelemetry/sdk-node"),
    import("@opentelemetry/sdk-trace"),
  ]);
  const sdk = new NodeSDK({
    sampler: sdkSampler(sampling, samplers),
    // The operator's OTEL_SERVICE_NAME overrides the name compiled into the service.
    serviceName: isSet(env.OTEL_SERVICE_NAME) ? undefined : options.serviceName,
    instrumentations: [],
    // Only traces go through the SDK: metrics are prom-client on the metrics port and logs are pino
    // lines, so the SDK's default OTLP metric and log pipelines would only export empty batches.
    metricReaders: [],
    logRecordProcessors: [],
  });
  // start() registers the AsyncLocalStorage context manager and the propagator itself; registering
  // ours first would make its registration fail.
  sdk.start();
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= sdk.shutdown();
    return stopping;
  };
}

/** What the SDK would register, for the SDK-less default. */
function registerPropagationGlobals(): void {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  // false means someone (a test, an embedding process) registered one already; theirs stays.
  if (!context.setGlobalContextManager(contextManager)) contextManager.disable();
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== "";
}
