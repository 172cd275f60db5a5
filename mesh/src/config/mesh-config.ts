import { isIP } from "node:net";
import { type CertificateIssuer, type MtlsMode, mtlsModes } from "../identity/index.ts";
import { boolean, type Env, integer, oneOf, optionalText, readSettings, type Setting, text } from "./env.ts";

/** Everything the mesh runtime reads from the environment. Services add their own settings. */
export interface MeshConfig {
  /**
   * mesh: this process gets a certificate from the local CA and requires client certificates;
   * istio: plaintext inside the pod, the sidecar does mTLS and tells the peer in
   * x-forwarded-client-cert; off: plaintext, no identity and no policy — only for explicit tests.
   */
  mtls: MtlsMode;
  /**
   * `MESH_MTLS=off` is refused unless this is set (`MESH_ALLOW_INSECURE=1`): plaintext without
   * identity or policy is for tests that ask for it, never a default a deployment can fall into.
   */
  allowInsecure: boolean;
  /**
   * Where the local CA lives, for the program that holds it (the launcher, test harnesses).
   * Workloads never read it: they get certificates from the signer, or from `issuer`.
   */
  dataDir: string;
  /** The launcher's certificate signer (mesh mode): its Unix socket and this workload's one-time token. */
  signerSocket: string;
  signerToken: string;
  /**
   * Signs this workload's certificates in-process instead of asking the signer: only for programs
   * that hold the CA themselves (tests, benchmarks, the launcher's own mesh). Never from the
   * environment.
   */
  issuer?: CertificateIssuer;
  /**
   * istio mode: peer addresses besides loopback that are the sidecar, whose
   * x-forwarded-client-cert is believed (`MESH_SIDECAR_ADDRESSES`, comma separated IPs).
   */
  sidecarAddresses: readonly string[];
  /**
   * istio mode with GRPC_HOST not on loopback: the deployment states that an injected sidecar
   * captures every inbound connection and PeerAuthentication is STRICT (`MESH_SIDECAR_INJECTED`).
   */
  sidecarInjected: boolean;
  /** The AuthorizationPolicy YAML the server enforces (mesh mode). */
  policyDir: string;
  /**
   * Overrides of the app's trust domain and namespace (weft.app.yaml), which the workload's SPIFFE
   * id and its policies use. Unset: the app's. For tests and odd deployments only.
   */
  trustDomain: string | undefined;
  namespace: string | undefined;
  /** Interface the gRPC server listens on. */
  host: string;
  /** gRPC port; 0 picks a free one. */
  port: number;
  /** Prometheus /metrics port; 0 picks a free one, -1 turns the endpoint off. */
  metricsPort: number;
  /** Budget of an outgoing call that sets none. */
  clientTimeoutMs: number;
  /** Budget the server gives an incoming call that carries no deadline. */
  serverTimeoutMs: number;
  /** After SIGTERM: report NOT_SERVING for this long before refusing new calls, so balancers notice. */
  drainDelayMs: number;
  /** After that: how long in-flight calls may take before they are cut off. */
  shutdownGraceMs: number;
  maxMessageBytes: number;
  /** Attempts per call on UNAVAILABLE, for calls that are safe to retry (1 turns retries off). */
  retryMaxAttempts: number;
  /** Consecutive upstream failures that open a circuit breaker. */
  breakerThreshold: number;
  /** How long an open breaker fails fast before letting one call through. */
  breakerHalfOpenMs: number;
  /** Calls in flight per upstream before new ones queue. */
  bulkheadLimit: number;
  /** Calls waiting per upstream before new ones are refused. */
  bulkheadQueue: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /**
   * Signs page tokens (`mesh.pageTokens`), the same for every replica; a Secret in production.
   * Unset: a random key per process, so tokens stop working after a restart or on another replica.
   */
  pageTokenKey: string;
}

const hostPattern = /^[A-Za-z0-9.:\-[\]]+$/;
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Comma-separated IP addresses. */
function ipList(fallback: readonly string[]): Setting<readonly string[]> {
  return {
    expected: "comma-separated IP addresses",
    fallback,
    parse: (raw) => {
      const addresses = raw.split(",").map((part) => part.trim());
      return addresses.every((address) => isIP(address) !== 0) ? addresses : undefined;
    },
  };
}

export function meshConfigFromEnv(env: Env = process.env, defaults: Partial<MeshConfig> = {}): MeshConfig {
  const settings = readSettings<Omit<MeshConfig, "issuer">>(
    {
      mtls: ["MESH_MTLS", oneOf(defaults.mtls ?? "mesh", mtlsModes)],
      allowInsecure: ["MESH_ALLOW_INSECURE", boolean(defaults.allowInsecure ?? false)],
      dataDir: ["MESH_DATA_DIR", text(defaults.dataDir ?? ".data/mesh")],
      signerSocket: ["MESH_SIGNER_SOCKET", text(defaults.signerSocket ?? "")],
      signerToken: ["MESH_SIGNER_TOKEN", text(defaults.signerToken ?? "", /^[A-Za-z0-9_-]+$/, "a signer token")],
      sidecarAddresses: ["MESH_SIDECAR_ADDRESSES", ipList(defaults.sidecarAddresses ?? [])],
      sidecarInjected: ["MESH_SIDECAR_INJECTED", boolean(defaults.sidecarInjected ?? false)],
      policyDir: ["MESH_POLICY_DIR", text(defaults.policyDir ?? "istio")],
      trustDomain: ["MESH_TRUST_DOMAIN", optionalText(/^[a-z0-9.-]+$/, "a DNS name", defaults.trustDomain)],
      namespace: ["MESH_NAMESPACE", optionalText(dnsLabel, "a Kubernetes namespace name", defaults.namespace)],
      host: ["GRPC_HOST", text(defaults.host ?? "0.0.0.0", hostPattern, "an interface address")],
      port: ["GRPC_PORT", integer(defaults.port ?? 50051, 0, 65535)],
      metricsPort: ["METRICS_PORT", integer(defaults.metricsPort ?? -1, -1, 65535)],
      clientTimeoutMs: ["MESH_CLIENT_TIMEOUT_MS", integer(defaults.clientTimeoutMs ?? 10_000, 1, 600_000)],
      serverTimeoutMs: ["MESH_SERVER_TIMEOUT_MS", integer(defaults.serverTimeoutMs ?? 30_000, 1, 3_600_000)],
      drainDelayMs: ["MESH_DRAIN_DELAY_MS", integer(defaults.drainDelayMs ?? 0, 0, 120_000)],
      shutdownGraceMs: ["MESH_SHUTDOWN_GRACE_MS", integer(defaults.shutdownGraceMs ?? 10_000, 0, 600_000)],
      maxMessageBytes: [
        "MESH_MAX_MESSAGE_BYTES",
        integer(defaults.maxMessageBytes ?? 4 * 1024 * 1024, 1024, 256 * 1024 * 1024),
      ],
      retryMaxAttempts: ["MESH_RETRY_MAX_ATTEMPTS", integer(defaults.retryMaxAttempts ?? 3, 1, 5)],
      breakerThreshold: ["MESH_BREAKER_THRESHOLD", integer(defaults.breakerThreshold ?? 5, 1, 1000)],
      breakerHalfOpenMs: ["MESH_BREAKER_HALF_OPEN_MS", integer(defaults.breakerHalfOpenMs ?? 5_000, 1, 600_000)],
      bulkheadLimit: ["MESH_BULKHEAD_LIMIT", integer(defaults.bulkheadLimit ?? 256, 1, 100_000)],
      bulkheadQueue: ["MESH_BULKHEAD_QUEUE", integer(defaults.bulkheadQueue ?? 1024, 0, 1_000_000)],
      logLevel: [
        "LOG_LEVEL",
        oneOf(defaults.logLevel ?? "info", ["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
      ],
      pageTokenKey: [
        "MESH_PAGE_TOKEN_KEY",
        text(defaults.pageTokenKey ?? "", /^.{32,}$/, "at least 32 characters (e.g. openssl rand -base64 32)"),
      ],
    },
    env,
  );
  return defaults.issuer ? { ...settings, issuer: defaults.issuer } : settings;
}
