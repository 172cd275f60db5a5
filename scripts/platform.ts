// The whole shop on one machine, as `make up` starts it and as the end-to-end and chaos tests
// start it: NATS, the six services (each its own process, its own database), the gateway, the
// local CA and mTLS, health waits, and a demo catalog.
import { join } from "node:path";
import { createMesh, type Mesh, meshConfigFromEnv } from "@weft/mesh";
import { ensureDatabaseExists } from "@weft/mesh/data";
import {
  checkHealth,
  freePort,
  isListening,
  type LineSink,
  loadOrCreateCa,
  provideNats,
  type Supervised,
  startCertificateSigner,
  startProcess,
  stopProcesses,
  waitFor,
  writeNatsAuthorization,
} from "@weft/mesh/launcher";

export const serviceNames = ["identity", "catalog", "inventory", "payments", "orders", "notifications"] as const;
export type ServiceName = (typeof serviceNames)[number];

const defaultPorts: Record<ServiceName, number> = {
  identity: 50051,
  catalog: 50052,
  inventory: 50053,
  orders: 50054,
  payments: 50055,
  notifications: 50056,
};

/** The development admin `make up` seeds; documented in the README, never used outside a laptop. */
export const devAdmin = { email: "admin@weft.local", password: "weft-admin-dev" } as const;

const root = new URL("../", import.meta.url).pathname;

export interface PlatformOptions {
  /** Local state: CA, embedded databases, NATS store. */
  dataDir: string;
  /** Gateway port; 0 picks a free one. */
  gatewayPort: number;
  /** Use free ports for the services instead of 50051–50056 (tests). */
  freeServicePorts?: boolean;
  /** A PostgreSQL server URL: each service gets its own database on it (created if missing). Unset: PGlite. */
  pgUrl?: string;
  /** Prefix of the per-service database names on pgUrl. */
  databasePrefix?: string;
  /**
   * NATS port on 127.0.0.1: reused when something listens there, else a nats-server with
   * JetStream is started on it (and stopped with the platform). Default 4222; tests pass a free
   * port to get a private server with no history.
   */
  natsPort?: number;
  /** Extra environment for every process (e.g. PAYMENTS_FLAKY_FAILURE_RATE). */
  env?: Record<string, string>;
  /** Where the processes' log lines go. */
  logs: LineSink;
  /** Say what is happening (progress lines). */
  progress?: (line: string) => void;
}

export interface Platform {
  readonly gatewayUrl: string;
  /** gRPC address of each service (mTLS with a mesh certificate). */
  readonly addresses: Readonly<Record<ServiceName, string>>;
  /** A mesh identity for callers outside the processes (tests, seeding): workload "launcher". */
  readonly mesh: Mesh;
  /** The NATS the services use. */
  readonly natsUrl: string;
  /** Kills a service (SIGKILL by default) and starts it again with the same settings. */
  restart(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Stops one service (SIGKILL by default) without restarting it. */
  kill(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  start(name: ServiceName): Promise<void>;
  /** Stops the NATS the platform started (SIGTERM, so JetStream flushes) and starts it again on the same store. */
  restartNats(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs a TypeScript entry point in a node process of its own: node with tsx's loader, not the tsx
 * CLI, whose wrapper process would take a SIGKILL and leave the real program running.
 */
function typescriptProgram(entry: string): { command: string; args: string[] } {
  return { command: process.execPath, args: ["--import", "tsx", entry] };
}

export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const say = options.progress ?? (() => {});
  const meshDir = join(options.dataDir, "mesh");
  // i12-trust: a NATS the launcher starts has one user per service, which may publish only its own
  // package's events (`shop.<name>.v1`, the shop's convention until manifests declare it).
  const natsAuth = await writeNatsAuthorization(
    join(options.dataDir, "nats-auth"),
    serviceNames.map((name) => ({ name, publishes: [`shop.${name}.v1`] })),
  );
  const natsPlan = {
    host: "127.0.0.1",
    port: options.natsPort ?? 4222,
    storeDir: join(options.dataDir, "nats"),
    configFile: natsAuth.configFile,
  };
  let nats = await provideNats(natsPlan, options.logs);
  say(
    nats.process
      ? `started nats-server (JetStream) at ${nats.url}, one user per service`
      : `using NATS at ${nats.url} (started elsewhere: its authentication is its own)`,
  );

  const ports = {} as Record<ServiceName, number>;
  for (const name of serviceNames) ports[name] = options.freeServicePorts ? await freePort() : defaultPorts[name];
  const gatewayPort = options.gatewayPort === 0 ? await freePort() : options.gatewayPort;
  const addresses = Object.fromEntries(serviceNames.map((n) => [n, `127.0.0.1:${ports[n]}`])) as Record<
    ServiceName,
    string
  >;

  const databaseUrls = {} as Record<ServiceName, string>;
  if (options.pgUrl) {
    for (const name of serviceNames) {
      const url = new URL(options.pgUrl);
      url.pathname = `/${options.databasePrefix ?? "weft"}_${name}`;
      databaseUrls[name] = url.toString();
      await ensureDatabaseExists(databaseUrls[name]);
    }
  }

  // i12-trust: the launcher alone holds the CA; workloads get certificates from its signer, each
  // with a one-time token for its own name (so no MESH_DATA_DIR in their environment).
  const meshDefaults = meshConfigFromEnv({});
  const signer = await startCertificateSigner({
    ca: await loadOrCreateCa(meshDir),
    socketPath: join(options.dataDir, "run", "signer.sock"),
    trustDomain: meshDefaults.trustDomain,
    namespace: meshDefaults.namespace,
    onRefusal: (reason) => options.logs("signer", `refused a certificate request: ${reason}`, "stderr"),
  });

  const common: Record<string, string> = {
    MESH_POLICY_DIR: join(root, "istio"),
    WEFT_DATA_DIR: options.dataDir,
    NATS_URL: nats.url,
    GRPC_HOST: "127.0.0.1",
    ...Object.fromEntries(serviceNames.map((n) => [`${n.toUpperCase()}_ADDR`, addresses[n]])),
    ...options.env,
  };
  const specFor = (name: ServiceName) => ({
    name,
    ...typescriptProgram(join(root, "services", name, "src/main.ts")),
    cwd: root,
    env: {
      ...common,
      ...signer.enroll(name).env, // i12-trust: a fresh one-time token per start
      // i12-trust: credentials only for the NATS the launcher started (a reused one has no users)
      ...(nats.process ? natsAuth.envFor(name) : {}),
      GRPC_PORT: String(ports[name]),
      ...(databaseUrls[name] ? { DATABASE_URL: databaseUrls[name] } : {}),
      ...(name === "identity" ? { ADMIN_EMAIL: devAdmin.email, ADMIN_PASSWORD: devAdmin.password } : {}),
    },
  });

  const mesh = await createMesh({
    name: "launcher",
    config: {
      ...meshDefaults,
      issuer: signer.issuerFor("launcher"), // i12-trust: the launcher signs its own CSR in-process
      policyDir: join(root, "istio"),
      logLevel: "warn",
      port: 0,
    },
  });
  const running = new Map<string, Supervised>();
  const credentials = mesh.clientCredentials();

  const startService = async (name: ServiceName) => {
    const started = Date.now();
    running.set(name, startProcess(specFor(name), options.logs));
    const healthy = await waitFor(async () => (await checkHealth(addresses[name], credentials)) === "SERVING", 60_000);
    if (!healthy) throw new Error(`${name} did not become SERVING within 60 s (see its log lines above)`);
    say(`✓ ${name.padEnd(13)} SERVING on ${addresses[name]} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  };

  const platform: Platform = {
    gatewayUrl: `http://127.0.0.1:${gatewayPort}`,
    addresses,
    mesh,
    natsUrl: nats.url,
    async kill(name, signal = "SIGKILL") {
      const process = running.get(name);
      if (!process) return;
      process.child.kill(signal);
      await process.exited;
      running.delete(name);
      // The process is the service itself (no wrapper that could leave it running): its port is free.
      const [host, port] = addresses[name].split(":");
      if (await isListening(host!, Number(port))) throw new Error(`${name} still listens after ${signal}`);
    },
    start: startService,
    async restartNats() {
      if (!nats.process) throw new Error("the platform did not start this NATS, so it will not restart it");
      await stopProcesses([nats.process], 10_000);
      nats = await provideNats(natsPlan, options.logs);
    },
    async restart(name, signal = "SIGKILL") {
      await platform.kill(name, signal);
      await startService(name);
    },
    async stop() {
      const gateway = running.get("gateway");
      await stopProcesses(gateway ? [gateway] : [], 10_000);
      await stopProcesses(
        [...running.values()].filter((p) => p.name !== "gateway"),
        10_000,
      );
      running.clear();
      await mesh.close();
      await signer.close(); // i12-trust
      if (nats.process) await stopProcesses([nats.process], 5_000);
    },
  };

  try {
    say("starting services…");
    await Promise.all(serviceNames.map(startService));
    const gatewayStarted = Date.now();
    running.set(
      "gateway",
      startProcess(
        {
          name: "gateway",
          ...typescriptProgram(join(root, "gateway/src/main.ts")),
          cwd: root,
          env: {
            ...common,
            ...signer.enroll("gateway").env, // i12-trust
            GATEWAY_HOST: "127.0.0.1",
            GATEWAY_PORT: String(gatewayPort),
            GRPC_PORT: "0",
          },
        },
        options.logs,
      ),
    );
    const ready = await waitFor(async () => (await fetch(`${platform.gatewayUrl}/readyz`)).ok, 60_000);
    if (!ready) throw new Error("the gateway did not become ready within 60 s (see its log lines above)");
    say(
      `✓ ${"gateway".padEnd(13)} ready on ${platform.gatewayUrl} (${((Date.now() - gatewayStarted) / 1000).toFixed(1)} s)`,
    );
  } catch (error) {
    await platform.stop();
    throw error;
  }
  return platform;
}

/** Demo products `make up` puts in an empty catalog, with their stock. */
export const demoCatalog = [
  { name: "Weft Mug", description: "A mug for long builds.", priceMinor: 1200, stock: 50 },
  { name: "Mesh Hoodie", description: "Warm, with mTLS on the back.", priceMinor: 4900, stock: 20 },
  { name: "Sidecar Sticker Pack", description: "Ten stickers, zero proxies.", priceMinor: 500, stock: 200 },
  { name: "Saga Notebook", description: "Every step compensated.", priceMinor: 1500, stock: 5 },
] as const;

/** Logs the admin in and fills an empty catalog through the public REST API. Returns the product count. */
export async function seedDemoCatalog(gatewayUrl: string): Promise<number> {
  const json = async (path: string, init: RequestInit = {}, token?: string) => {
    const response = await fetch(`${gatewayUrl}${path}`, {
      ...init,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  };
  const existing = (await json("/v1/products")) as { products?: unknown[] };
  if ((existing.products ?? []).length > 0) return existing.products?.length ?? 0;
  const login = (await json("/v1/auth/login", { method: "POST", body: JSON.stringify(devAdmin) })) as {
    accessToken: string;
  };
  for (const item of demoCatalog) {
    const slug = item.name.toLowerCase().replaceAll(" ", "-");
    const created = (await json(
      `/v1/products?idempotencyKey=seed-${slug}`,
      {
        method: "POST",
        body: JSON.stringify({
          name: item.name,
          description: item.description,
          price: { amountMinor: String(item.priceMinor), currency: "USD" },
        }),
      },
      login.accessToken,
    )) as { product: { id: string } };
    await json(
      `/v1/inventory/${created.product.id}:adjust`,
      {
        method: "POST",
        body: JSON.stringify({ delta: String(item.stock), reason: "demo seed", idempotencyKey: `seed-${slug}` }),
      },
      login.accessToken,
    );
  }
  return demoCatalog.length;
}
