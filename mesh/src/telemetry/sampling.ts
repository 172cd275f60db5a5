// Which RPCs get a span, decided by the mesh before anything is allocated for one: the standard
// OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, read the way the SDK reads them. A call that is
// not sampled starts no span at all (not even the SDK's non-recording one) and builds no attributes;
// its trace context still travels on, so the rest of the trace decides as its root did.
import {
  type Context,
  createContextKey,
  isSpanContextValid,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
  TraceFlags,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";

export interface TracesSampling {
  /** Follow the parent's decision when there is one (the `parentbased_*` samplers, the SDK's default). */
  parentBased: boolean;
  /** Share of root spans sampled, 0…1. */
  ratio: number;
}

/** OTEL_TRACES_SAMPLER and its argument; unknown names fall back to the SDK's default, parentbased_always_on. */
export function tracesSamplingFromEnv(env: NodeJS.ProcessEnv): TracesSampling {
  const name = (env.OTEL_TRACES_SAMPLER ?? "").trim().toLowerCase();
  const argument = Number((env.OTEL_TRACES_SAMPLER_ARG ?? "").trim() || "1");
  const ratio = Number.isFinite(argument) ? Math.min(1, Math.max(0, argument)) : 1;
  switch (name) {
    case "always_on":
      return { parentBased: false, ratio: 1 };
    case "always_off":
      return { parentBased: false, ratio: 0 };
    case "traceidratio":
      return { parentBased: false, ratio };
    case "parentbased_always_off":
      return { parentBased: true, ratio: 0 };
    case "parentbased_traceidratio":
      return { parentBased: true, ratio };
    default:
      return { parentBased: true, ratio: 1 };
  }
}

let sampling: TracesSampling = tracesSamplingFromEnv(process.env);

/** Replaces the process's sampling (startTracing does, from the environment it was given). */
export function setTracesSampling(next: TracesSampling): void {
  sampling = next;
}

/** Marks a root the mesh has decided to sample, so the SDK sampler the mesh installs agrees. */
const sampledByMesh = createContextKey("weft sampled root");
const sampledRoot = ROOT_CONTEXT.setValue(sampledByMesh, true);

/**
 * The parent to start an RPC span under, or undefined when the call is not sampled (no tracer
 * provider, the parent unsampled under a parent-based sampler, or the root outside the ratio).
 */
export function sampledParent(parent: Context): Context | undefined {
  const parentSpan = trace.getSpanContext(parent);
  if (parentSpan !== undefined && isSpanContextValid(parentSpan) && sampling.parentBased) {
    return (parentSpan.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? parent : undefined;
  }
  if (sampling.ratio >= 1) return parent;
  if (sampling.ratio <= 0 || Math.random() >= sampling.ratio) return undefined;
  // A root span the mesh sampled: tell the SDK sampler (a child of a remote parent keeps its parent).
  return parentSpan === undefined ? sampledRoot : parent;
}

/**
 * `parent`, marked so that the mesh's SDK sampler records the span started under it whatever the
 * sampling says: for what must always be seen (a denied call).
 */
export function alwaysSampled(parent: Context): Context {
  return parent.setValue(sampledByMesh, true);
}

/**
 * The SDK sampler for a process of the mesh (its own NodeSDK, or a provider a program registers):
 * the same OTEL_TRACES_SAMPLER the mesh reads, as the SDK's samplers. Mesh RPC spans were decided
 * before they were started (above); every other span is decided here.
 */
export function sdkSampler(sampling: TracesSampling, sdk: typeof import("@opentelemetry/sdk-trace")): Sampler {
  const ratio =
    sampling.ratio >= 1
      ? new sdk.AlwaysOnSampler()
      : sampling.ratio <= 0
        ? new sdk.AlwaysOffSampler()
        : new sdk.TraceIdRatioBasedSampler(sampling.ratio);
  return trustingMesh(sampling.parentBased ? new sdk.ParentBasedSampler({ root: ratio }) : ratio);
}

function trustingMesh(others: Sampler): Sampler {
  const sampled: SamplingResult = { decision: SamplingDecision.RECORD_AND_SAMPLED };
  return {
    shouldSample(context, traceId, spanName, spanKind, attributes, links) {
      if (context.getValue(sampledByMesh) === true) return sampled;
      return others.shouldSample(context, traceId, spanName, spanKind, attributes, links);
    },
    toString: () => `WeftMesh{${others.toString()}}`,
  };
}

/** The instrumentation scope of every span the mesh starts. */
export const meshTracerName = "weft-mesh";

let lastProvider: TracerProvider | undefined;
let lastTracer: Tracer | undefined;

/**
 * The mesh's tracer from the registered provider, or undefined when none is registered (tracing
 * off): then no span is started at all. Looked up again only when the registered provider changes.
 */
export function meshTracer(): Tracer | undefined {
  const global = trace.getTracerProvider();
  const provider = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  if (provider !== lastProvider) {
    lastProvider = provider;
    lastTracer =
      global instanceof ProxyTracerProvider
        ? global.getDelegateTracer(meshTracerName)
        : global.getTracer(meshTracerName);
  }
  return lastTracer;
}
