// A whole Weft app on one machine, as `weft dev` starts it and as the end-to-end and chaos tests
// start it: NATS, every service of the manifests (each its own process, its own database), the
// gateway, the local CA and mTLS, and health waits. What runs, on which port, with which settings
// and databases comes from weft.app.yaml and services/*/weft.yaml, never from a list kept here.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createMesh, type Mesh, meshConfigFromEnv } from "@weft/mesh";
import { type App, addressVariable, gatewayWorkload, type ServiceManifest } from "@weft/mesh/app";
import { checkHealth, loadOrCreateCa, startCertificateSigner } from "@weft/mesh/launcher";
import { bundleFile, seedWorkload, type Workload, WorkloadBuilder, workloadsOf } from "./build.ts";
import { provideDatabases } from "./databases.ts";
import { provideNats } from "./nats.ts";
import { natsPasswordVariable, natsUserVariable, writeNatsAuthorization } from "./nats-auth.ts";
import { freePort, isListening, takenPorts, waitFor } from "./network.ts";
import { type LineSink, stopProcesses } from "./processes.ts";
import { bundleProgram } from "./programs.ts";
import { Supervisor, type WorkloadState } from "./supervisor.ts";

export interface PlatformOptions {
  /** Local state: CA, embedded databases, NATS store. */
  dataDir: string;
  /** Gateway port; 0 picks a free one. */
  gatewayPort: number;
  /** Use free ports for the services instead of their manifests' ports (tests). */
  freeServicePorts?: boolean;
  /**
   * A PostgreSQL server URL whose user may create roles and databases: each service with a database
   * gets its own database and role on it. Unset: one embedded PostgreSQL under <dataDir>/postgres.
   */
  pgUrl?: string;
  /** Port of the embedded PostgreSQL (WEFT_PG_PORT); unset: a free one. */
  embeddedPgPort?: number;
  /** Prefix of the per-service database names on pgUrl (default: the app's name). */
  databasePrefix?: string;
  /**
   * NATS port on 127.0.0.1: reused when something listens there, else a nats-server with
   * JetStream is started on it (and stopped with the platform). Default 4222; tests pass a free
   * port to get a private server with no history.
   */
  natsPort?: number;
  /** Extra environment for every process, over the manifests' settings (e.g. PAYMENTS_FLAKY_FAILURE_RATE). */
  env?: Record<string, string>;
  /** Where the processes' log lines go. */
  logs: LineSink;
  /** Say what is happening (progress lines). */
  progress?: (line: string) => void;
  /** A workload's state changed (the console shows it): starting, running, restarting, crashed, stopped. */
  onState?: (name: string, state: WorkloadState) => void;
}

export interface Platform {
  readonly app: App;
  readonly gatewayUrl: string;
  /** gRPC address of each service, by name (mTLS with a mesh certificate). */
  readonly addresses: Readonly<Record<string, string>>;
  /** DATABASE_URL of each service that has a database (its own role's credentials). */
  readonly databaseUrls: ReadonlyMap<string, string>;
  /** Superuser URL of the embedded PostgreSQL, when the platform started one (tests read invariants through it). */
  readonly embeddedPgUrl: string | undefined;
  /** A mesh identity for callers outside the processes (tests, seeding): workload "launcher". */
  readonly mesh: Mesh;
  /** The NATS the services use. */
  readonly natsUrl: string;
  /** The development console's user on a NATS the platform started (undefined for one started elsewhere). */
  readonly consoleNatsCredentials: { user: string; password: string } | undefined;
  /** Kills a service (SIGKILL by default) and starts it again with the same settings. */
  restart(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Stops one service (SIGKILL by default) without restarting it. */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Kills a workload's process behind the supervisor's back: a crash, which the supervisor restarts. */
  crash(name: string): void;
  /** A planned restart (its sources changed): graceful stop, start, wait until it serves. */
  reload(name: string): Promise<void>;
  /** Rebuilds what changed of these workloads' bundles, then restarts each as `reload` does. */
  reloadAll(names: readonly string[]): Promise<void>;
  /** Supervised workloads (the services and the gateway) and their states. */
  states(): ReadonlyMap<string, WorkloadState>;
  /** Process ids of what runs now: each workload, and "postgres" and "nats" when the platform started them (benchmarks read their memory). */
  processIds(): ReadonlyMap<string, number>;
  /** The JavaScript bundle a workload (or seedBundle, the app's dev.seed) runs. */
  bundle(name: string): string;
  start(name: string): Promise<void>;
  /** Stops the NATS the platform started (SIGTERM, so JetStream flushes) and starts it again on the same store. */
  restartNats(): Promise<void>;
  /** The gateway first (no new calls), then the services, the launcher's mesh and a NATS it started. */
  stop(): Promise<void>;
}

/** The NATS user of the development console (a service of that name is refused: one user each). */
const consoleNatsUser = "weft-console";

// A first start creates databases and runs migrations; a busy two-core machine needs the margin.
const healthTimeoutMs = 120_000;

export async function startPlatform(app: App, options: PlatformOptions): Promise<Platform> {
  const say = options.progress ?? (() => {});
  // Created here with ordinary permissions, before the owner-only folders inside it (signer, NATS
  // users): an embedded PostgreSQL running as another user must be able to reach its own folder.
  mkdirSync(options.dataDir, { recursive: true });
  const meshDir = join(options.dataDir, "mesh");
  const policyDir = join(app.root, "istio");
  // A NATS the launcher starts has one user per service, which may publish only the events its
  // manifest says it publishes.
  if (app.service(consoleNatsUser))
    throw new Error(`${consoleNatsUser} is the console's NATS user: rename that service`);
  const publishers = app.services.map((service) => ({
    name: service.name,
    publishes: [...new Set(service.publishes.map((type) => type.slice(0, type.lastIndexOf("."))))],
  }));
  // And one for the development console, which reads the streams and re-drives a dead-lettered
  // event onto its own subject, whichever service's it is.
  const natsAuth = await writeNatsAuthorization(join(options.dataDir, "nats-auth"), [
    ...publishers,
    { name: consoleNatsUser, publishes: [...new Set(publishers.flatMap((p) => p.publishes))] },
  ]);
  const natsPlan = {
    host: "127.0.0.1",
    port: options.natsPort ?? 4222,
    storeDir: join(options.dataDir, "nats"),
    configFile: natsAuth.configFile,
  };
  const addresses: Record<string, string> = {};
  for (const service of app.services) {
    addresses[service.name] = `127.0.0.1:${options.freeServicePorts ? await freePort() : service.port}`;
  }
  // The manifests' fixed ports, checked before anything starts: a second `weft dev` (or any program)
  // on one of them is one line with its fix, not a service that fails to bind halfway through.
  const fixed = [
    ...(options.freeServicePorts ? [] : app.services.map((service) => ({ name: service.name, port: service.port }))),
    ...(options.gatewayPort > 0 ? [{ name: gatewayWorkload, port: options.gatewayPort }] : []),
  ];
  const taken = await takenPorts(fixed);
  if (taken.length > 0) {
    throw new Error(
      `${taken.map((t) => `port ${t.port} (${t.name})`).join(", ")} ${taken.length === 1 ? "is" : "are"} in use — stop what listens there (another weft dev?), or run with ${taken.some((t) => t.name === gatewayWorkload) ? "GATEWAY_PORT=<another port> " : ""}${taken.some((t) => t.name !== gatewayWorkload) ? "WEFT_FREE_PORTS=true" : ""}`.trimEnd(),
    );
  }

  let nats = await provideNats(natsPlan, options.logs);
  say(
    nats.process
      ? `started nats-server (JetStream) at ${nats.url}, one user per service`
      : `using NATS at ${nats.url} (started elsewhere: its authentication is its own)`,
  );

  // A free gateway port is picked just before the gateway starts (below): picked now, an outgoing
  // connection's ephemeral port could take it while the services start.
  let gatewayPort = options.gatewayPort;
  // Every workload runs its JavaScript bundle (build.ts says why), built when stale — meanwhile the
  // databases are provided, which mostly waits on PostgreSQL.
  const buildDir = join(options.dataDir, "build");
  const builder = new WorkloadBuilder({ outDir: buildDir });
  const seed = seedWorkload(app);
  const workloads = new Map<string, Workload>(
    [...workloadsOf(app), ...(seed ? [seed] : [])].map((workload) => [workload.name, workload]),
  );
  const [building, providing] = await Promise.allSettled([
    builder.build([...workloads.values()]),
    provideDatabases({
      services: app.services,
      pgUrl: options.pgUrl,
      prefix: options.databasePrefix ?? app.manifest.name,
      dataDir: options.dataDir,
      ...(options.embeddedPgPort === undefined ? {} : { embeddedPort: options.embeddedPgPort }),
      logs: options.logs,
    }),
  ]);
  if (building.status === "rejected" || providing.status === "rejected") {
    if (providing.status === "fulfilled") await providing.value.stop();
    await builder.close();
    if (nats.process) await stopProcesses([nats.process], 5_000);
    throw building.status === "rejected" ? building.reason : (providing as PromiseRejectedResult).reason;
  }
  const databases = providing.value;
  if (databases.embedded) {
    say(
      `${databases.embedded.created ? "created" : "started"} PostgreSQL under ${join(options.dataDir, "postgres")} on 127.0.0.1:${databases.embedded.port}`,
    );
  }
  const databaseUrls = databases.urls;
  const fresh = building.value.filter((outcome) => outcome.built);
  say(
    fresh.length === 0
      ? `bundles up to date under ${buildDir}`
      : `built ${fresh.map((outcome) => outcome.name).join(", ")} into ${buildDir} (${((fresh[0]?.ms ?? 0) / 1000).toFixed(1)} s)`,
  );

  // The launcher alone holds the CA; workloads get certificates from its signer, each with a
  // one-time token for its own name (so no MESH_DATA_DIR in their environment).
  const signer = await startCertificateSigner({
    ca: await loadOrCreateCa(meshDir),
    socketPath: join(options.dataDir, "run", "signer.sock"),
    trustDomain: app.manifest.trustDomain,
    namespace: app.manifest.namespace,
    onRefusal: (reason) => options.logs("signer", `refused a certificate request: ${reason}`, "stderr"),
  });

  const common: Record<string, string> = {
    // V8's code cache for the bundles: a restart skips compiling what it compiled before.
    NODE_COMPILE_CACHE: join(buildDir, ".compile-cache"),
    WEFT_APP_DIR: app.root,
    WEFT_DATA_DIR: options.dataDir,
    MESH_POLICY_DIR: policyDir,
    NATS_URL: nats.url,
    GRPC_HOST: "127.0.0.1",
    // One key for every process of this run, so a page token survives a service's restart.
    MESH_PAGE_TOKEN_KEY: randomBytes(32).toString("base64url"),
    ...Object.fromEntries(app.services.map((s) => [addressVariable(s.name), addresses[s.name]!])),
  };
  const specFor = (service: ServiceManifest) => {
    const databaseUrl = databaseUrls.get(service.name);
    return {
      name: service.name,
      ...bundleProgram(bundleFile(buildDir, service.name)),
      cwd: app.root,
      env: {
        ...common,
        ...service.settings,
        ...service.devSettings,
        ...options.env,
        // A fresh one-time token per start.
        ...signer.enroll(service.name).env,
        // Credentials only for the NATS the launcher started (a reused one has no users).
        ...(nats.process ? natsAuth.envFor(service.name) : {}),
        GRPC_PORT: addresses[service.name]!.split(":")[1]!,
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      },
    };
  };

  // The launcher signs its own CSR in process.
  const mesh = await createMesh({
    name: "launcher",
    app,
    config: { ...meshConfigFromEnv({}), issuer: signer.issuerFor("launcher"), policyDir, logLevel: "warn", port: 0 },
  });
  const credentials = mesh.clientCredentials();
  const serviceNamed = (name: string): ServiceManifest => {
    const service = app.service(name);
    if (service === undefined) throw new Error(`${name} is not a service of ${app.manifest.name}`);
    return service;
  };
  const gatewayUrl = () => `http://127.0.0.1:${gatewayPort}`;

  // Every workload runs under a supervisor: restarted with backoff when it crashes, reported with
  // its last lines when it keeps crashing. Each start builds its spec afresh (a new signer token).
  const supervisors = new Map<string, Supervisor>();
  const supervisorOf = (name: string): Supervisor => {
    let supervisor = supervisors.get(name);
    if (supervisor === undefined) {
      const isGateway = name === gatewayWorkload;
      const service = isGateway ? undefined : serviceNamed(name);
      supervisor = new Supervisor(name, {
        spec: () => (service ? specFor(service) : gatewaySpec()),
        sink: options.logs,
        // A cheap TCP probe often, until the port is bound (the workload's last step before it
        // serves); then the real check (an mTLS call, or /readyz), still often, so a start is
        // reported within tens of milliseconds of serving.
        ready: async () => {
          const [host, port] = (service ? addresses[name]! : `127.0.0.1:${gatewayPort}`).split(":");
          if (!(await waitFor(() => isListening(host!, Number(port), 100), healthTimeoutMs, 20))) return false;
          return service
            ? waitFor(async () => (await checkHealth(addresses[name]!, credentials)) === "SERVING", healthTimeoutMs, 50)
            : waitFor(async () => (await fetch(`${gatewayUrl()}/readyz`)).ok, healthTimeoutMs, 50);
        },
        say,
        onState: (state) => options.onState?.(name, state),
      });
      supervisors.set(name, supervisor);
    }
    return supervisor;
  };
  const gatewaySpec = () => ({
    name: gatewayWorkload,
    ...bundleProgram(bundleFile(buildDir, gatewayWorkload)),
    cwd: app.root,
    env: {
      ...common,
      ...options.env,
      ...signer.enroll(gatewayWorkload).env,
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_PORT: String(gatewayPort),
      GRPC_PORT: "0",
    },
  });

  const startWorkload = async (name: string) => {
    const started = Date.now();
    await supervisorOf(name).start();
    const where = name === gatewayWorkload ? `ready on ${gatewayUrl()}` : `SERVING on ${addresses[name]}`;
    say(`✓ ${name.padEnd(13)} ${where} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  };

  const platform: Platform = {
    app,
    get gatewayUrl() {
      return gatewayUrl();
    },
    addresses,
    databaseUrls,
    embeddedPgUrl: databases.embedded?.adminUrl,
    mesh,
    get natsUrl() {
      return nats.url;
    },
    get consoleNatsCredentials() {
      if (!nats.process) return undefined;
      const env = natsAuth.envFor(consoleNatsUser);
      return { user: env[natsUserVariable]!, password: env[natsPasswordVariable]! };
    },
    async kill(name, signal = "SIGKILL") {
      serviceNamed(name);
      await supervisorOf(name).kill(signal);
      // The process is the service itself (no wrapper that could leave it running): its port is free.
      const [host, port] = addresses[name]!.split(":");
      if (await isListening(host!, Number(port))) throw new Error(`${name} still listens after ${signal}`);
    },
    crash(name) {
      supervisorOf(name).process?.child.kill("SIGKILL");
    },
    start: (name) => startWorkload(serviceNamed(name).name),
    async reload(name) {
      await platform.reloadAll([name]);
    },
    async reloadAll(names) {
      const changed = names.map((name) => {
        const workload = workloads.get(name);
        if (workload === undefined) throw new Error(`${name} is not a workload of ${app.manifest.name}`);
        return workload;
      });
      const started = Date.now();
      // One workload (an edit): its esbuild context rebuilds incrementally; several (proto/): one build.
      if (changed.length === 1) await builder.rebuild(changed[0]!);
      else await builder.build(changed);
      const builtIn = ((Date.now() - started) / 1000).toFixed(1);
      for (const name of names) {
        const restarted = Date.now();
        await supervisorOf(name).restart();
        say(
          `✓ ${name} reloaded (built in ${builtIn} s, serving after ${((Date.now() - restarted) / 1000).toFixed(1)} s)`,
        );
      }
    },
    states: () => new Map([...supervisors].map(([name, supervisor]) => [name, supervisor.state])),
    processIds() {
      const ids = new Map<string, number>();
      for (const [name, supervisor] of supervisors) {
        const pid = supervisor.process?.child.pid;
        if (pid !== undefined) ids.set(name, pid);
      }
      const postgresPid = databases.embedded?.process.child.pid;
      if (postgresPid !== undefined) ids.set("postgres", postgresPid);
      const natsPid = nats.process?.child.pid;
      if (natsPid !== undefined) ids.set("nats", natsPid);
      return ids;
    },
    bundle(name) {
      if (!workloads.has(name)) throw new Error(`${name} is not a workload of ${app.manifest.name}`);
      return bundleFile(buildDir, name);
    },
    async restartNats() {
      if (!nats.process) throw new Error("the platform did not start this NATS, so it will not restart it");
      await stopProcesses([nats.process], 10_000);
      nats = await provideNats(natsPlan, options.logs);
    },
    async restart(name, signal = "SIGKILL") {
      await platform.kill(name, signal);
      await startWorkload(name);
    },
    async stop() {
      // The gateway first (no new calls), then the services, then what they use.
      await supervisors.get(gatewayWorkload)?.stop();
      await Promise.all([...supervisors].filter(([name]) => name !== gatewayWorkload).map(([, s]) => s.stop()));
      await mesh.close();
      await signer.close();
      await builder.close();
      await databases.stop();
      if (nats.process) await stopProcesses([nats.process], 5_000);
    },
  };

  try {
    say(app.services.length > 0 ? "starting services…" : "no services yet (weft new service <name> adds one)");
    // The gateway starts with the services: it loads while they migrate, and is ready (/readyz)
    // once every upstream serves.
    const gatewayStarted = (async () => {
      if (options.gatewayPort === 0) gatewayPort = await freePort();
      await startWorkload(gatewayWorkload);
    })();
    const started = await Promise.allSettled([
      ...app.services.map((service) => startWorkload(service.name)),
      gatewayStarted,
    ]);
    const failed = started.find((outcome) => outcome.status === "rejected");
    if (failed) throw failed.reason;
  } catch (error) {
    await platform.stop();
    throw error;
  }
  return platform;
}
