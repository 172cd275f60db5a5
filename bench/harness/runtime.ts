// What every Weft process of a benchmark shares: the OpenTelemetry SDK switched on with an exporter
// that drops spans (so span creation, sampling and batching are paid, export is not), access logs
// serialized at info level into /dev/null (paid, but no terminal in the way), and a mesh config
// on loopback with the benchmark's own CA and policy folders.
import { context, propagation, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { ExportResultCode, W3CTraceContextPropagator } from "@opentelemetry/core";
import * as sdkTrace from "@opentelemetry/sdk-trace";
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter, TracerProvider } from "@opentelemetry/sdk-trace";
import { createLogger, type Logger, type MeshConfig, meshConfigFromEnv } from "@weft/mesh";
import pino from "pino";
import { loadOrCreateCa, localCaIssuer, spiffeId } from "../../mesh/src/identity/index.ts";
import { sdkSampler, setTracesSampling, tracesSamplingFromEnv } from "../../mesh/src/telemetry/index.ts";

/**
 * Registers a real tracer provider (batch processor) whose exporter discards, sampling as the mesh
 * does: OTEL_TRACES_SAMPLER / _ARG, always on when unset.
 */
export function startNoopSdkTracing(): () => Promise<void> {
  const exporter: SpanExporter = {
    export(_spans: ReadableSpan[], done) {
      done({ code: ExportResultCode.SUCCESS });
    },
    async shutdown() {},
  };
  const sampling = tracesSamplingFromEnv(process.env);
  setTracesSampling(sampling);
  const provider = new TracerProvider({
    sampler: sdkSampler(sampling, sdkTrace),
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return () => provider.shutdown();
}

/** pino at `level`, asynchronously into /dev/null: the cost of formatting lines, not of a terminal. */
export function devNullLogger(service: string, level = "info"): Logger {
  return createLogger({ service, level, destination: pino.destination({ dest: "/dev/null", sync: false }) });
}

export interface MeshDirs {
  /** The local CA's folder (shared by every process of a benchmark). */
  meshDir: string;
  policyDir: string;
}

export function benchMeshConfig(dirs: MeshDirs, overrides: Partial<MeshConfig> = {}): MeshConfig {
  return {
    ...meshConfigFromEnv({}),
    dataDir: dirs.meshDir,
    // The benchmark holds its CA: every process signs its own CSR in-process (no launcher here).
    issuer: localCaIssuer(dirs.meshDir),
    policyDir: dirs.policyDir,
    host: "127.0.0.1",
    port: 0,
    metricsPort: -1,
    logLevel: "info",
    drainDelayMs: 0,
    shutdownGraceMs: 2_000,
    ...overrides,
  };
}

/** PEMs of a workload certificate, as they travel to child processes. */
export interface Pems {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** A certificate for `serviceAccount` from the mesh CA in `meshDir`, the one the Weft side uses too. */
export async function issuePems(meshDir: string, serviceAccount: string): Promise<Pems> {
  const ca = await loadOrCreateCa(meshDir);
  const identity = await ca.issue({ spiffeId: spiffeId({ namespace: "shop", serviceAccount }) });
  return { caPem: identity.caPem, certPem: identity.certPem, keyPem: identity.keyPem };
}
