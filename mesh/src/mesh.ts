import {
  type ChannelCredentials,
  ServerCredentials as GrpcServerCredentials,
  credentials as grpcCredentials,
  type ServerCredentials,
} from "@grpc/grpc-js";
import { type App, loadApp } from "./app/index.ts";
import type { EndUser } from "./auth/index.ts";
import { type ConnectOptions, connect, type Upstream } from "./client/connect.ts";
import { resolveUpstream, upstreamTarget } from "./client/upstreams.ts";
import type { Env } from "./config/env.ts";
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
import { PageTokens } from "./rpc/page-token.ts";
import { Authorization } from "./server/authorization.ts";
import { type MeshServer, type ServiceImplementation, startServer } from "./server/serve.ts";
import {
  authzTelemetry,
  createLogger,
  type Logger,
  RpcMetrics,
  startMetricsServer,
  startTracing,
} from "./telemetry/index.ts";

export interface MeshOptions {
  /** The workload: its service account (SPIFFE identity) and its `app` label, e.g. "billing". */
  name: string;
  /**
   * The app the workload belongs to: its namespace and trust domain (unless the config overrides
   * them), and whom `connect` may call. Default: loadApp() (WEFT_APP_DIR, or the folder holding
   * weft.app.yaml at or above the working directory), loaded when first needed.
   */
  app?: App;
  /** Defaults to the environment (`meshConfigFromEnv`). */
  config?: MeshConfig;
  /** Where `<NAME>_ADDR` upstream addresses are read; default process.env. */
  env?: Env;
  logger?: Logger;
}

export interface ConnectTarget {
  /** gRPC target: `dns:///billing.example.svc.cluster.local:50051`, or `127.0.0.1:50052`. */
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
  /** The app the workload belongs to (loaded on first use when not given). */
  readonly app: App;
  readonly config: MeshConfig;
  readonly logger: Logger;
  readonly metrics: RpcMetrics;
  /** This workload's certificate in use now (mesh mode only); renewed before it expires. */
  readonly identity: WorkloadIdentity | undefined;
  /** The bound /metrics port, when enabled. */
  readonly metricsPort: number | undefined;
  /** Signs and checks the page tokens of this workload's lists (MESH_PAGE_TOKEN_KEY). */
  readonly pageTokens: PageTokens;
  /** Channel credentials with this workload's identity, for clients the mesh does not build (health checks). */
  clientCredentials(): ChannelCredentials;
  /**
   * A typed client of an upstream service, with the mesh's deadlines, retries, breaker and mTLS.
   * Without a target the app says where it is: the service implementing the binding's proto
   * service, which this workload's manifest must declare in `calls:` (a ManifestError if not; only
   * the declared methods may be called), at `<NAME>_ADDR` or its Kubernetes Service.
   */
  connect<Handlers, Client>(binding: ServiceBinding<Handlers, Client>, target?: ConnectTarget): Client;
  /** Where a workload of the app listens, as `connect` would reach it: `<NAME>_ADDR`, else its Kubernetes Service. */
  targetOf(workload: string): string;
  /** Serves the given services on GRPC_HOST:GRPC_PORT, with health and reflection. */
  serve(services: readonly ServiceImplementation[], options?: ServeCallsOptions): Promise<MeshServer>;
  /** Shuts every server down gracefully, then closes clients, metrics and tracing. */
  close(): Promise<void>;
}

export interface ServeCallsOptions {
  /** Behind handlers' `context.user()`: the end user of a call's `authorization` header. */
  authenticate?: (authorization: string | undefined) => Promise<EndUser | undefined>;
}

/**
 * Starts a workload's mesh runtime from its configuration: telemetry first (so everything after
 * is traced and logged), then identity (mesh mode issues a certificate from the local CA), then
 * the policy (loaded once; a malformed policy stops the start rather than failing open).
 */
export async function createMesh(options: MeshOptions): Promise<Mesh> {
  const env = options.env ?? process.env;
  const config = options.config ?? meshConfigFromEnv(env);
  const name = options.name;
  // Refuse off without the test flag, and istio where no sidecar is guaranteed.
  assertTrustableTransport(config);
  let app = options.app;
  const appOf = () => {
    app ??= loadApp();
    return app;
  };
  const namespace = config.namespace ?? appOf().manifest.namespace;
  const trustDomain = config.trustDomain ?? appOf().manifest.trustDomain;
  const logger = options.logger ?? createLogger({ service: name, level: config.logLevel });
  const stopTracing = await startTracing({ serviceName: name });
  const metrics = new RpcMetrics({ collectDefaultMetrics: true });
  // The certificate comes from the launcher's signer (or the program's own issuer) and is renewed
  // in-process; the workload never opens the CA key.
  const certificates =
    config.mtls === "mesh"
      ? await WorkloadCertificates.obtain({
          spiffeId: spiffeId({ trustDomain, namespace, serviceAccount: name }),
          issuer: workloadIssuer(config),
          logger,
        })
      : undefined;
  // What can still fail opens nothing of its own; on failure, what was opened is closed, so a
  // program whose start failed can end.
  let policy: PolicyEngine | undefined;
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  try {
    policy = config.mtls === "off" ? undefined : new PolicyEngine(loadPolicies(config.policyDir));
    metricsServer =
      config.metricsPort >= 0
        ? await startMetricsServer({ port: config.metricsPort, registry: metrics.registry })
        : undefined;
  } catch (error) {
    certificates?.close();
    throw error;
  }
  const workload = { namespace, labels: { app: name } };
  const pageTokens = config.pageTokenKey
    ? PageTokens.withKey(config.pageTokenKey)
    : PageTokens.ephemeral(() =>
        logger.warn("MESH_PAGE_TOKEN_KEY is not set: page tokens are signed with a key of this process only"),
      );

  const serverCreds = (): ServerCredentials =>
    certificates ? renewingServerCredentials(certificates) : GrpcServerCredentials.createInsecure();
  /** Credentials that accept `serverWorkload` only, or any workload of the trust domain. */
  const clientCreds = (serverWorkload?: string): ChannelCredentials => {
    if (!certificates) return grpcCredentials.createInsecure();
    if (serverWorkload === undefined) return renewingChannelCredentials(certificates);
    const expected = spiffeId({ trustDomain, namespace, serviceAccount: serverWorkload });
    return renewingChannelCredentials(certificates, { allowedServerPrincipals: [principalFromSpiffeId(expected)!] });
  };

  // One for every server of the workload: its decisions and its allow sampling are shared.
  const authorization = policy ? new Authorization(policy, workload, logger, authzTelemetry()) : undefined;

  const servers: MeshServer[] = [];
  const upstreams: Array<Upstream<unknown>> = [];
  let closing: Promise<void> | undefined;

  const mesh: Mesh = {
    name,
    get app() {
      return appOf();
    },
    config,
    logger,
    metrics,
    get identity() {
      return certificates?.current;
    },
    metricsPort: metricsServer?.port,
    pageTokens,
    clientCredentials: () => clientCreds(),
    connect(binding, target) {
      const resolved = target === undefined ? resolveUpstream(appOf(), name, binding.desc.typeName, env) : undefined;
      const upstreamOptions: ConnectOptions = {
        ...config,
        target: target?.target ?? resolved!.target,
        name: target?.name ?? resolved?.service ?? binding.desc.typeName,
        // The server must be the workload the manifest says serves this binding.
        credentials: clientCreds(target?.expectedIdentity ?? target?.name ?? resolved?.service),
        timeoutMs: target?.timeoutMs ?? config.clientTimeoutMs,
        metrics,
        ...(resolved?.paths ? { declared: { paths: resolved.paths, where: resolved.declaredIn } } : {}),
      };
      const upstream = connect(binding, upstreamOptions);
      upstreams.push(upstream);
      return upstream.client;
    },
    targetOf(workload) {
      return upstreamTarget(appOf(), workload, env);
    },
    async serve(services, serveOptions = {}) {
      const server = await startServer({
        ...config,
        services,
        authenticate: serveOptions.authenticate,
        credentials: serverCreds(),
        authorization,
        metrics,
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
  };
  return mesh;
}
