import {
  type ChannelCredentials,
  ServerCredentials as GrpcServerCredentials,
  credentials as grpcCredentials,
  type ServerCredentials,
} from "@grpc/grpc-js";
import { type ConnectOptions, connect, type Upstream } from "./client/connect.ts";
import { type MeshConfig, meshConfigFromEnv } from "./config/mesh-config.ts";
import {
  channelCredentials,
  loadOrCreateCa,
  principalResolver,
  serverCredentials,
  spiffeId,
  type WorkloadIdentity,
} from "./identity/index.ts";
import { loadPolicies, PolicyEngine } from "./policy/index.ts";
import type { ServiceBinding } from "./rpc/binding.ts";
import type { ServerInterceptor } from "./rpc/implement.ts";
import { PageTokens } from "./rpc/page-token.ts";
import { authorizeByPolicy, observeCalls, requirePeerIdentity } from "./server/interceptors.ts";
import { type MeshServer, type ServiceImplementation, startServer } from "./server/serve.ts";
import { createLogger, type Logger, RpcMetrics, startMetricsServer, startTracing } from "./telemetry/index.ts";

export interface MeshOptions {
  /** The workload: its service account (SPIFFE identity) and its `app` label, e.g. "orders". */
  name: string;
  /** Defaults to the environment (`meshConfigFromEnv`). */
  config?: MeshConfig;
  logger?: Logger;
}

export interface ConnectTarget {
  /** gRPC target: `dns:///inventory.shop.svc.cluster.local:50051`, or `127.0.0.1:50052`. */
  target: string;
  /** Names the upstream in errors and logs; defaults to the service's name. */
  name?: string;
  /** Budget of a call that sets none; defaults to MESH_CLIENT_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** One workload's mesh runtime: its identity, telemetry, policy, servers and upstream clients. */
export interface Mesh {
  readonly name: string;
  readonly config: MeshConfig;
  readonly logger: Logger;
  readonly metrics: RpcMetrics;
  /** This workload's certificate (mesh mode only). */
  readonly identity: WorkloadIdentity | undefined;
  /** The bound /metrics port, when enabled. */
  readonly metricsPort: number | undefined;
  /** Signs and checks the page tokens of this workload's lists (MESH_PAGE_TOKEN_KEY). */
  readonly pageTokens: PageTokens;
  /** Channel credentials with this workload's identity, for clients the mesh does not build (health checks). */
  clientCredentials(): ChannelCredentials;
  /** A typed client of an upstream service, with the mesh's deadlines, retries, breaker and mTLS. */
  connect<Handlers, Client>(binding: ServiceBinding<Handlers, Client>, target: ConnectTarget): Client;
  /** Serves the given services on GRPC_HOST:GRPC_PORT, with health and reflection. */
  serve(services: readonly ServiceImplementation[]): Promise<MeshServer>;
  /** Shuts every server down gracefully, then closes clients, metrics and tracing. */
  close(): Promise<void>;
  /** On SIGTERM or SIGINT: close(), then exit. For a program's entry point. */
  closeOnSignals(): void;
}

/**
 * Starts a workload's mesh runtime from its configuration: telemetry first (so everything after
 * is traced and logged), then identity (mesh mode issues a certificate from the local CA), then
 * the policy (loaded once; a malformed policy stops the start rather than failing open).
 */
export async function createMesh(options: MeshOptions): Promise<Mesh> {
  const config = options.config ?? meshConfigFromEnv();
  const name = options.name;
  const logger = options.logger ?? createLogger({ service: name, level: config.logLevel });
  const stopTracing = await startTracing({ serviceName: name });
  const metrics = new RpcMetrics({ collectDefaultMetrics: true });
  const metricsServer =
    config.metricsPort >= 0
      ? await startMetricsServer({ port: config.metricsPort, registry: metrics.registry })
      : undefined;

  const identity =
    config.mtls === "mesh"
      ? await (await loadOrCreateCa(config.dataDir)).issue({
          spiffeId: spiffeId({ trustDomain: config.trustDomain, namespace: config.namespace, serviceAccount: name }),
        })
      : undefined;
  const policy = config.mtls === "off" ? undefined : new PolicyEngine(loadPolicies(config.policyDir));
  const workload = { namespace: config.namespace, labels: { app: name } };
  const pageTokens = config.pageTokenKey
    ? PageTokens.withKey(config.pageTokenKey)
    : PageTokens.ephemeral(() =>
        logger.warn("MESH_PAGE_TOKEN_KEY is not set: page tokens are signed with a key of this process only"),
      );

  const serverCreds = (): ServerCredentials =>
    identity ? serverCredentials(identity) : GrpcServerCredentials.createInsecure();
  const clientCreds = (): ChannelCredentials =>
    identity ? channelCredentials(identity) : grpcCredentials.createInsecure();

  const interceptors: ServerInterceptor[] = [observeCalls(logger, metrics)];
  if (policy) interceptors.push(requirePeerIdentity(), authorizeByPolicy(policy, workload, logger));

  const servers: MeshServer[] = [];
  const upstreams: Array<Upstream<unknown>> = [];
  let closing: Promise<void> | undefined;

  const mesh: Mesh = {
    name,
    config,
    logger,
    metrics,
    identity,
    metricsPort: metricsServer?.port,
    pageTokens,
    clientCredentials: clientCreds,
    connect(binding, target) {
      const upstreamOptions: ConnectOptions = {
        ...config,
        target: target.target,
        name: target.name ?? binding.desc.typeName,
        credentials: clientCreds(),
        timeoutMs: target.timeoutMs ?? config.clientTimeoutMs,
        metrics,
      };
      const upstream = connect(binding, upstreamOptions);
      upstreams.push(upstream);
      return upstream.client;
    },
    async serve(services) {
      const server = await startServer({
        ...config,
        services,
        credentials: serverCreds(),
        interceptors,
        principalOf: principalResolver(config.mtls),
        logger,
      });
      servers.push(server);
      logger.info(
        {
          port: server.port,
          mtls: config.mtls,
          principal: identity?.principal,
          services: services.map((s) => s.binding.desc.typeName),
        },
        "serving",
      );
      return server;
    },
    close() {
      closing ??= (async () => {
        await Promise.all(servers.map((s) => s.shutdown()));
        for (const upstream of upstreams) upstream.close();
        await metricsServer?.close();
        await stopTracing();
      })();
      return closing;
    },
    closeOnSignals() {
      const stop = (signal: NodeJS.Signals) => {
        logger.info({ signal }, "shutting down");
        mesh.close().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, "shutdown failed");
            process.exit(1);
          },
        );
      };
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
    },
  };
  return mesh;
}
