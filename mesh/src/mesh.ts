import {
  type ChannelCredentials,
  ServerCredentials as GrpcServerCredentials,
  credentials as grpcCredentials,
  type ServerCredentials,
} from "@grpc/grpc-js";
import { type ConnectOptions, connect, type Upstream } from "./client/connect.ts";
import { type MeshConfig, meshConfigFromEnv } from "./config/mesh-config.ts";
import {
  assertTrustableTransport,
  principalFromSpiffeId,
  principalResolver,
  renewingChannelCredentials,
  renewingServerCredentials,
  spiffeId,
  WorkloadCertificates,
  type WorkloadIdentity,
  workloadIssuer,
} from "./identity/index.ts";
import { loadPolicies, PolicyEngine } from "./policy/index.ts";
import type { ServiceBinding } from "./rpc/binding.ts";
import type { ServerInterceptor } from "./rpc/implement.ts";
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
  /**
   * The workload (service account) that must answer, mesh mode: the server's certificate must be
   * spiffe://<trust domain>/ns/<namespace>/sa/<expectedIdentity>, or the connection is refused.
   * Defaults to `name`; with neither, any workload of the trust domain is accepted. (In istio mode
   * the sidecar verifies the server.)
   */
  expectedIdentity?: string;
}

/** One workload's mesh runtime: its identity, telemetry, policy, servers and upstream clients. */
export interface Mesh {
  readonly name: string;
  readonly config: MeshConfig;
  readonly logger: Logger;
  readonly metrics: RpcMetrics;
  /** This workload's certificate in use now (mesh mode only); renewed before it expires. */
  readonly identity: WorkloadIdentity | undefined;
  /** The bound /metrics port, when enabled. */
  readonly metricsPort: number | undefined;
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
  // i12-trust: refuse off without the test flag, and istio where no sidecar is guaranteed.
  assertTrustableTransport(config);
  const logger = options.logger ?? createLogger({ service: name, level: config.logLevel });
  const stopTracing = await startTracing({ serviceName: name });
  const metrics = new RpcMetrics({ collectDefaultMetrics: true });
  const metricsServer =
    config.metricsPort >= 0
      ? await startMetricsServer({ port: config.metricsPort, registry: metrics.registry })
      : undefined;

  // i12-trust: the certificate comes from the launcher's signer (or the program's own issuer) and
  // is renewed in-process; the workload never opens the CA key.
  const certificates =
    config.mtls === "mesh"
      ? await WorkloadCertificates.obtain({
          spiffeId: spiffeId({ trustDomain: config.trustDomain, namespace: config.namespace, serviceAccount: name }),
          issuer: workloadIssuer(config),
          logger,
        })
      : undefined;
  const policy = config.mtls === "off" ? undefined : new PolicyEngine(loadPolicies(config.policyDir));
  const workload = { namespace: config.namespace, labels: { app: name } };

  const serverCreds = (): ServerCredentials =>
    certificates ? renewingServerCredentials(certificates) : GrpcServerCredentials.createInsecure();
  /** Credentials that accept `serverWorkload` only, or any workload of the trust domain. */
  const clientCreds = (serverWorkload?: string): ChannelCredentials => {
    if (!certificates) return grpcCredentials.createInsecure();
    if (serverWorkload === undefined) return renewingChannelCredentials(certificates);
    const expected = spiffeId({
      trustDomain: config.trustDomain,
      namespace: config.namespace,
      serviceAccount: serverWorkload,
    });
    return renewingChannelCredentials(certificates, { allowedServerPrincipals: [principalFromSpiffeId(expected)!] });
  };

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
    get identity() {
      return certificates?.current;
    },
    metricsPort: metricsServer?.port,
    clientCredentials: () => clientCreds(),
    connect(binding, target) {
      const upstreamOptions: ConnectOptions = {
        ...config,
        target: target.target,
        name: target.name ?? binding.desc.typeName,
        credentials: clientCreds(target.expectedIdentity ?? target.name),
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
        principalOf: principalResolver(config.mtls, { sidecarAddresses: config.sidecarAddresses }),
        logger,
      });
      servers.push(server);
      logger.info(
        {
          port: server.port,
          mtls: config.mtls,
          principal: certificates?.current.principal,
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
        certificates?.close();
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
