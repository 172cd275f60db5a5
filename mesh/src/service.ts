import { type App, loadApp, loadContracts, type ServiceManifest } from "./app/index.ts";
import { appTokenVerifier, type JwksCall, type TokenVerifier } from "./auth/index.ts";
import { type Env, readSettings, text } from "./config/env.ts";
import { type MeshConfig, meshConfigFromEnv } from "./config/mesh-config.ts";
import { type Database, openDatabase } from "./data/index.ts";
import {
  connectEventBus,
  type EventBus,
  ensureStream,
  eventStreamOf,
  OutboxRelay,
  type RunningConsumer,
} from "./events/index.ts";
import { runMain, stopOnSignals } from "./lifecycle/index.ts";
import { createMesh, type Mesh } from "./mesh.ts";
import { type DynamicClient, dynamicBinding } from "./rpc/dynamic.ts";
import type { ServiceBinding } from "./rpc/index.ts";
import { callInProcess } from "./server/in-process.ts";
import type { MeshServer, ServiceImplementation } from "./server/serve.ts";

/** Where a service keeps its state and finds its event bus. */
export interface ServiceSettings {
  /** postgres:// URL of the service's own database (required when the service has one). */
  databaseUrl: string;
  /** NATS servers, comma separated. */
  natsUrl: string;
  /** This service's NATS user and password (empty: a NATS without authentication). */
  natsUser: string;
  natsPassword: string;
  /** Root of local state (WEFT_DATA_DIR); no database lives there any more. */
  dataDir: string;
}

export function serviceSettingsFromEnv(env: Env = process.env): ServiceSettings {
  return readSettings<ServiceSettings>(
    {
      databaseUrl: ["DATABASE_URL", text("", /^postgres(ql)?:\/\/.+/, "a postgres:// URL")],
      natsUrl: ["NATS_URL", text("nats://127.0.0.1:4222", /^(nats|tls|ws|wss):\/\/.+/, "a nats:// URL list")],
      natsUser: ["NATS_USER", text("")],
      natsPassword: ["NATS_PASSWORD", text("")],
      dataDir: ["WEFT_DATA_DIR", text(".data")],
    },
    env,
  );
}

/** What a service's setup gets to build its handlers from. */
export interface ServiceContext<Schema extends Record<string, unknown>> {
  readonly mesh: Mesh;
  readonly db: Database<Schema>;
  readonly bus: EventBus;
  /** Publishes the outbox; call `relay.nudge()` after a transaction that recorded events. */
  readonly relay: OutboxRelay<Schema>;
  readonly settings: ServiceSettings;
  /** The environment to read the service's own settings from (with `readSettings`). */
  readonly env: Env;
  /** The app, and this service's manifest in it (services/<name>/weft.yaml). */
  readonly app: App;
  readonly manifest: ServiceManifest;
  /**
   * A typed client of an upstream the manifest declares in `calls:` (see Mesh.connect): a
   * ManifestError for one it does not, PERMISSION_DENIED for a method it does not list.
   */
  connect<Handlers, Client>(binding: ServiceBinding<Handlers, Client>): Client;
}

/** A background loop (saga recovery, reservation expiry): runs until its signal aborts (see `every`). */
export type BackgroundTask = (signal: AbortSignal) => Promise<void>;

export interface ServiceParts {
  services: readonly ServiceImplementation[];
  consumers?: readonly RunningConsumer[];
  background?: readonly BackgroundTask[];
}

export interface ServiceDefinition<Schema extends Record<string, unknown>> {
  /**
   * The workload name, which names its manifest (services/<name>/weft.yaml): service account,
   * `app` label, CloudEvents source `<app>/<name>`.
   */
  name: string;
  schema: Schema;
  /** The service's committed drizzle-kit migrations folder. */
  migrationsFolder: string;
  setup(context: ServiceContext<Schema>): Promise<ServiceParts>;
}

export interface StartServiceOptions {
  /** Overrides of the mesh settings (tests); the rest comes from the environment. */
  mesh?: Partial<MeshConfig>;
  settings?: Partial<ServiceSettings>;
  env?: Env;
  /** The app; default loadApp() (WEFT_APP_DIR, or weft.app.yaml at or above the working directory). */
  app?: App;
  /** Replaces the app's token verifier (tests that sign their own tokens: TestTokens.verifier()). */
  verifier?: TokenVerifier;
}

export interface RunningService<Schema extends Record<string, unknown>> {
  readonly mesh: Mesh;
  readonly db: Database<Schema>;
  readonly server: MeshServer;
  /** Stops in dependency order: drain the server, then consumers, loops, relay, bus, database. */
  stop(): Promise<void>;
}

/**
 * Starts a service the same way in `main.ts` and in tests: its manifest, the mesh, the database
 * with migrations, the event bus with the streams the manifest says it publishes to, the outbox
 * relay, the app's token verifier, then the service's own parts, then serving. When anything
 * fails on the way, everything opened so far is closed again, last first, before the error is
 * rethrown: a failed start leaves no connection, port or timer behind.
 */
export async function startService<Schema extends Record<string, unknown>>(
  definition: ServiceDefinition<Schema>,
  options: StartServiceOptions = {},
): Promise<RunningService<Schema>> {
  const env = options.env ?? process.env;
  const app = options.app ?? loadApp();
  const manifest = app.service(definition.name);
  if (manifest === undefined) {
    throw new Error(`${definition.name}: no services/${definition.name}/weft.yaml in the app at ${app.root}`);
  }
  const settings = { ...serviceSettingsFromEnv(env), ...options.settings };
  const config = { ...meshConfigFromEnv(env), ...options.mesh };
  const opened = new Closers();
  try {
    const mesh = await createMesh({ name: definition.name, app, config, env });
    opened.push(() => mesh.close());
    const database = await openDatabase({
      url: settings.databaseUrl || undefined,
      schema: definition.schema,
      migrationsFolder: definition.migrationsFolder,
    });
    opened.push(() => database.close());
    const bus = await connectEventBus({
      servers: settings.natsUrl,
      name: definition.name,
      user: settings.natsUser,
      password: settings.natsPassword,
    });
    opened.push(() => bus.close());
    // Producers declare their streams too, so events are kept before any consumer exists.
    for (const protoPackage of new Set(manifest.publishes.map(packageOf))) {
      const stream = eventStreamOf(protoPackage);
      await ensureStream(bus.jsm, stream.name, stream.subjects);
    }
    const relay = new OutboxRelay({
      db: database.db,
      js: bus.js,
      jsm: bus.jsm,
      source: `${app.manifest.name}/${definition.name}`,
      logger: mesh.logger,
      // Woken by the outbox's commit notifications (LISTEN on the service's own database).
      ...(settings.databaseUrl ? { listenUrl: settings.databaseUrl } : {}),
    });
    relay.start();
    opened.push(() => relay.stop());

    let parts: ServiceParts | undefined;
    const verifier = options.verifier ?? serviceVerifier(mesh, () => parts?.services ?? []);
    const connectUpstream = <Handlers, Client>(binding: ServiceBinding<Handlers, Client>) => mesh.connect(binding);
    parts = await definition.setup({
      mesh,
      db: database.db,
      bus,
      relay,
      settings,
      env,
      app,
      manifest,
      connect: connectUpstream,
    });
    const consumers = parts.consumers ?? [];
    opened.push(() => Promise.all(consumers.map((c) => c.stop())));
    const stopBackground = new AbortController();
    const background = (parts.background ?? []).map((task) =>
      task(stopBackground.signal).catch((error: unknown) =>
        mesh.logger.error({ err: error }, "background task failed"),
      ),
    );
    opened.push(async () => {
      stopBackground.abort();
      await Promise.all(background);
    });
    const server = await mesh.serve(
      parts.services,
      verifier ? { authenticate: (authorization) => verifier.authenticate(authorization) } : {},
    );
    opened.push(() => server.shutdown());
    mesh.logger.info(`${definition.name} ready`);

    let stopping: Promise<void> | undefined;
    return {
      mesh,
      db: database.db,
      server,
      stop() {
        stopping ??= opened.closeAll();
        return stopping;
      },
    };
  } catch (error) {
    await opened.closeAll().catch(() => {});
    throw error;
  }
}

/**
 * For a service's main.ts: start it (a configuration or manifest error is one line and exit
 * code 2), and stop it gracefully on SIGTERM or SIGINT.
 */
export function runService<Schema extends Record<string, unknown>>(
  definition: ServiceDefinition<Schema>,
): Promise<void> {
  return runMain(definition.name, async () => {
    const service = await startService(definition);
    stopOnSignals(() => service.stop(), service.mesh.logger);
  });
}

/** `example.billing.v1.InvoicePaid` → `example.billing.v1`. */
function packageOf(typeName: string): string {
  return typeName.slice(0, typeName.lastIndexOf("."));
}

/**
 * The app's verifier as a service uses it: the JWKS method is called in process when this
 * service implements it (the issuer verifying its own tokens), else over the mesh.
 */
function serviceVerifier(mesh: Mesh, local: () => readonly ServiceImplementation[]): TokenVerifier | undefined {
  const remote = new Map<string, DynamicClient>();
  const call: JwksCall = async (method, request) => {
    const own = local().find((service) => service.binding.desc.typeName === method.parent.typeName);
    if (own) return callInProcess(own, method.name, request, mesh.config.clientTimeoutMs);
    let client = remote.get(method.parent.typeName);
    if (client === undefined) {
      client = mesh.connect(dynamicBinding(method.parent));
      remote.set(method.parent.typeName, client);
    }
    return (await client[method.localName]!(request)) as Awaited<ReturnType<JwksCall>>;
  };
  return appTokenVerifier({
    auth: mesh.app.manifest.edge.auth,
    contracts: () => loadContracts(mesh.app.root),
    call,
    logger: mesh.logger,
  });
}

/** What a start has opened, closed last first (each awaited; a failing close does not stop the rest). */
class Closers {
  private readonly closers: Array<() => Promise<unknown>> = [];

  push(close: () => Promise<unknown>): void {
    this.closers.push(close);
  }

  async closeAll(): Promise<void> {
    let failure: unknown;
    for (const close of this.closers.splice(0).reverse()) {
      await close().catch((error: unknown) => {
        failure ??= error;
      });
    }
    if (failure !== undefined) throw failure;
  }
}
