import { join } from "node:path";
import { type Env, readSettings, text } from "./config/env.ts";
import { type MeshConfig, meshConfigFromEnv } from "./config/mesh-config.ts";
import { type Database, openDatabase } from "./data/index.ts";
import { connectEventBus, type EventBus, OutboxRelay, type RunningConsumer } from "./events/index.ts";
import { createMesh, type Mesh } from "./mesh.ts";
import type { MeshServer, ServiceImplementation } from "./server/serve.ts";

/** Where a service keeps its state and finds its event bus. */
export interface ServiceSettings {
  /** postgres:// URL of the service's own database; unset: embedded PGlite under dataDir. */
  databaseUrl: string;
  /** NATS servers, comma separated. */
  natsUrl: string;
  /** i12-trust: this service's NATS user and password (empty: a NATS without authentication). */
  natsUser: string;
  natsPassword: string;
  /** Root of local state; the embedded database lives in `<dataDir>/<service>/db`. */
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
}

/** A background loop (saga recovery, reservation expiry): runs until its signal aborts. */
export type BackgroundTask = (signal: AbortSignal) => Promise<void>;

export interface ServiceParts {
  services: readonly ServiceImplementation[];
  consumers?: readonly RunningConsumer[];
  background?: readonly BackgroundTask[];
}

export interface ServiceDefinition<Schema extends Record<string, unknown>> {
  /** The workload name: service account, `app` label, CloudEvents source `shop/<name>`. */
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
}

export interface RunningService<Schema extends Record<string, unknown>> {
  readonly mesh: Mesh;
  readonly db: Database<Schema>;
  readonly server: MeshServer;
  /** Stops in dependency order: drain the server, then consumers, loops, relay, bus, database. */
  stop(): Promise<void>;
}

/**
 * Starts a service the same way in `main.ts` and in tests: configuration, mesh, database with
 * migrations, event bus and outbox relay, then the service's own parts, then serving.
 */
export async function startService<Schema extends Record<string, unknown>>(
  definition: ServiceDefinition<Schema>,
  options: StartServiceOptions = {},
): Promise<RunningService<Schema>> {
  const env = options.env ?? process.env;
  const settings = { ...serviceSettingsFromEnv(env), ...options.settings };
  const config = { ...meshConfigFromEnv(env), ...options.mesh };
  const mesh = await createMesh({ name: definition.name, config });
  const database = await openDatabase({
    url: settings.databaseUrl || undefined,
    dataDir: join(settings.dataDir, definition.name, "db"),
    schema: definition.schema,
    migrationsFolder: definition.migrationsFolder,
  });
  const bus = await connectEventBus({
    servers: settings.natsUrl,
    name: definition.name,
    user: settings.natsUser,
    password: settings.natsPassword,
  });
  const relay = new OutboxRelay({
    db: database.db,
    js: bus.js,
    jsm: bus.jsm,
    source: `shop/${definition.name}`,
    logger: mesh.logger,
  });
  relay.start();
  const parts = await definition.setup({ mesh, db: database.db, bus, relay, settings, env });
  const stopBackground = new AbortController();
  const background = (parts.background ?? []).map((task) =>
    task(stopBackground.signal).catch((error: unknown) => mesh.logger.error({ err: error }, "background task failed")),
  );
  const server = await mesh.serve(parts.services);
  mesh.logger.info({ database: database.kind }, `${definition.name} ready`);

  let stopping: Promise<void> | undefined;
  return {
    mesh,
    db: database.db,
    server,
    stop() {
      stopping ??= (async () => {
        await server.shutdown();
        await Promise.all((parts.consumers ?? []).map((c) => c.stop()));
        stopBackground.abort();
        await Promise.all(background);
        await relay.stop();
        await bus.close();
        await database.close();
        await mesh.close();
      })();
      return stopping;
    },
  };
}

/** For a service's main.ts: start it, and stop it gracefully on SIGTERM or SIGINT. */
export async function runService<Schema extends Record<string, unknown>>(
  definition: ServiceDefinition<Schema>,
): Promise<void> {
  const service = await startService(definition);
  const stop = (signal: NodeJS.Signals) => {
    service.mesh.logger.info({ signal }, "shutting down");
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        service.mesh.logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
