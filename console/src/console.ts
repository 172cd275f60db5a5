// The console as the launcher embeds it: one object that receives the telemetry of every process
// (OTLP spans, log lines, health), keeps it in the bounded store, and serves the web UI and its
// JSON API. This file is the whole integration surface; see README.md for the contract.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FileRegistry } from "@bufbuild/protobuf";
import type { ChannelCredentials } from "@grpc/grpc-js";
import type { ConsoleApp, Grant } from "./app.ts";
import { ownerOf } from "./app.ts";
import type { AuthzDecision } from "./authz/decision.ts";
import { decisionsOf } from "./authz/decisions.ts";
import { JetStreamView, type NatsCredentials } from "./events/jetstream.ts";
import { Explorer } from "./explorer/call.ts";
import { loadDescriptors } from "./explorer/descriptors.ts";
import { type ConsoleHttp, startConsoleHttp } from "./http/server.ts";
import { LiveFeed } from "./live.ts";
import { parseLogLine } from "./logs/parse.ts";
import type { SpanRecord } from "./otlp/model.ts";
import { type OtlpReceiver, type OtlpReceiverOptions, startOtlpReceiver } from "./otlp/receiver.ts";
import { ConsoleStore, type StoreBounds } from "./store/store.ts";
import type { HealthState } from "./topology/graph.ts";
import { trafficKeysOf } from "./traffic/keys.ts";
import { RedWindows } from "./traffic/windows.ts";

export interface IdentityOptions {
  /** The local mesh CA's folder (the launcher's MESH_DATA_DIR). */
  caDir: string;
  /** The AuthorizationPolicies folder (MESH_POLICY_DIR), which the mesh runtime loads. */
  policyDir: string;
}

export interface ConsoleTargets {
  /** The edge's base URL, e.g. http://127.0.0.1:8080. */
  gatewayUrl?: string;
  /** NATS servers, for the events view. */
  natsUrl?: string;
  /** The console's user on a NATS that requires one (a NATS the launcher started has a user per workload). */
  natsCredentials?: NatsCredentials;
  /** Workload name → gRPC target (127.0.0.1:50054), for calls from the explorer. */
  addresses?: Readonly<Record<string, string>>;
  app?: ConsoleApp;
  /** What `derivedGrants(app, registry)` returns. */
  grants?: readonly Grant[];
}

export interface ConsoleOptions extends ConsoleTargets {
  /** Where the history lives: `<dataDir>/history.sqlite` (the launcher passes `.data/console`). */
  dataDir: string;
  /** Web UI and API port; WEFT_CONSOLE_PORT, default 9400; 0 picks a free one; a taken port falls back to a free one. */
  port?: number;
  host?: string;
  otlp?: OtlpReceiverOptions;
  /** The FileDescriptorSet (gen/weft.binpb) bytes or path, for the explorer and event payloads. */
  descriptors?: Uint8Array | string;
  /** Lets the explorer call services over mTLS as any workload (dev only). */
  identity?: IdentityOptions;
  bounds?: Partial<StoreBounds>;
  /** Folder of the built web UI; default: console/dist, built with Vite when missing or stale. false: API only. */
  assets?: string | false;
}

export interface WeftConsole {
  /** http://127.0.0.1:9400 */
  readonly url: string;
  readonly otlp: OtlpReceiver;
  /**
   * The environment every launched process needs so its spans reach the console: the standard
   * OTEL_* variables (traces over OTLP/HTTP protobuf to this receiver, short batch delay).
   */
  readonly telemetryEnv: Readonly<Record<string, string>>;
  /** One line a process printed (pino JSON or text). */
  ingestLog(process: string, line: string, stream?: "stdout" | "stderr"): void;
  /** A process's health as the launcher sees it. */
  setHealth(name: string, state: HealthState): void;
  /** Targets learned after start (a restarted gateway on a new port, the app after a manifest edit). */
  update(targets: ConsoleTargets): void;
  /** Spans from elsewhere than OTLP (tests, the explorer's own client span). */
  ingestSpans(spans: readonly SpanRecord[]): void;
  readonly store: ConsoleStore;
  close(): Promise<void>;
}

/** The traffic windows: 5 s points over 10 minutes. */
const trafficWindows = { bucketMs: 5_000, buckets: 120 };

export async function startConsole(options: ConsoleOptions): Promise<WeftConsole> {
  const store = new ConsoleStore(join(options.dataDir, "history.sqlite"), options.bounds);
  const live = new LiveFeed();
  const traffic = new RedWindows(trafficWindows);
  const health = new Map<string, HealthState>();
  const targets: ConsoleTargets = {};
  let registry: FileRegistry | undefined;
  if (options.descriptors !== undefined) {
    registry = loadDescriptors(
      typeof options.descriptors === "string" ? readFileSync(options.descriptors) : options.descriptors,
    );
  }
  let events: JetStreamView | undefined;
  const setTargets = (next: ConsoleTargets) => {
    const natsUrl = next.natsUrl ?? targets.natsUrl;
    const natsCredentials = next.natsCredentials ?? targets.natsCredentials;
    if (natsUrl !== undefined && (natsUrl !== targets.natsUrl || natsCredentials !== targets.natsCredentials)) {
      void events?.close();
      events = new JetStreamView(natsUrl, registry, natsCredentials);
    }
    Object.assign(targets, Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)));
  };
  setTargets(options);

  const countTraffic = (spans: readonly SpanRecord[]) => {
    const now = Date.now();
    for (const span of spans) {
      for (const key of trafficKeysOf(span, targets.app)) {
        traffic.record(key, span.startMs + span.durationMs, span.durationMs, span.status === "error", now);
      }
    }
  };
  // After a restart the traffic charts pick up where they were, from the stored spans.
  countTraffic(store.spansEndedSince(Date.now() - trafficWindows.bucketMs * trafficWindows.buckets));

  const recordDecisions = (decisions: readonly AuthzDecision[]) => {
    if (decisions.length === 0) return;
    for (const decision of store.insertDecisions(decisions)) live.publish("decision", decision);
  };
  // Lines and spans still arriving while the launcher shuts down are dropped, not errors.
  let closed = false;
  const ingestSpans = (spans: readonly SpanRecord[]) => {
    if (closed) return;
    store.insertSpans(spans);
    countTraffic(spans);
    recordDecisions(spans.flatMap(decisionsOf));
    live.tracesChanged(spans.map((s) => s.traceId));
  };

  const identities = new Map<string, Promise<{ credentials: ChannelCredentials; close(): Promise<void> }>>();
  const credentialsFor = async (workload: string): Promise<ChannelCredentials> => {
    const identity = options.identity;
    if (!identity) throw new Error("the console was started without the mesh CA: calls over mTLS are off");
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(workload)) throw new Error(`not a workload name: ${workload}`);
    let entry = identities.get(workload);
    if (!entry) {
      entry = (async () => {
        // The mesh runtime issues the workload's certificate from the local CA, as it does for a service.
        const { createMesh, meshConfigFromEnv } = await import("@weft/mesh");
        // The console runs in the launcher, which holds the local CA: it signs this identity itself.
        const { localCaIssuer } = await import("@weft/mesh/launcher");
        const mesh = await createMesh({
          name: workload,
          config: {
            ...meshConfigFromEnv({}),
            mtls: "mesh",
            issuer: localCaIssuer(identity.caDir),
            policyDir: identity.policyDir,
            trustDomain: targets.app?.manifest.trustDomain ?? "cluster.local",
            namespace: targets.app?.manifest.namespace ?? "shop",
            logLevel: "silent",
            port: 0,
          },
        });
        return { credentials: mesh.clientCredentials(), close: () => mesh.close() };
      })();
      entry.catch(() => identities.delete(workload));
      identities.set(workload, entry);
    }
    return (await entry).credentials;
  };

  const explorer = registry
    ? new Explorer({
        registry,
        gatewayUrl: () => targets.gatewayUrl,
        targetOf: (protoService) => {
          const owner = ownerOf(targets.app, protoService);
          return owner ? targets.addresses?.[owner] : undefined;
        },
        credentialsFor,
        recordSpan: (span) => ingestSpans([span]),
      })
    : undefined;

  const otlp = await startOtlpReceiver(ingestSpans, options.otlp);
  let http: ConsoleHttp;
  try {
    http = await startConsoleHttp({
      host: options.host ?? "127.0.0.1",
      port: options.port ?? consolePortFromEnv(),
      assets: options.assets,
      context: {
        store,
        live,
        traffic,
        health,
        targets,
        registry,
        explorer,
        events: () => events,
        otlp,
        identityEnabled: options.identity !== undefined,
      },
    });
  } catch (error) {
    await otlp.close();
    store.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    url: http.url,
    otlp,
    telemetryEnv: {
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.httpEndpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      // Spans show up within a fraction of a second instead of the default 5 s.
      OTEL_BSP_SCHEDULE_DELAY: "200",
      OTEL_METRICS_EXPORTER: "none",
      OTEL_LOGS_EXPORTER: "none",
    },
    store,
    ingestSpans,
    ingestLog(process, line, stream = "stdout") {
      if (closed || line.trim() === "") return;
      const record = store.insertLog(parseLogLine(process, line, stream));
      live.publish("log", record);
    },
    setHealth(name, state) {
      if (closed || health.get(name) === state) return;
      health.set(name, state);
      live.publish("health", { name, state });
    },
    update: setTargets,
    close() {
      closing ??= (async () => {
        closed = true;
        live.close();
        await http.close();
        await otlp.close();
        await events?.close();
        await Promise.all([...identities.values()].map(async (entry) => (await entry.catch(() => undefined))?.close()));
        store.close();
      })();
      return closing;
    },
  };
}

export function consolePortFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.WEFT_CONSOLE_PORT?.trim();
  if (raw === undefined || raw === "") return 9400;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`WEFT_CONSOLE_PORT must be an integer from 0 to 65535 (got "${raw}")`);
  }
  return port;
}
