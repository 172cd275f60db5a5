// P5 footprint: the whole shop started the way `make up` starts it (@weft/cli/dev: NATS, six
// services and the gateway, each its own process running its esbuild bundle, the dev.seed), on the
// embedded PostgreSQL and — side by side in the same run — on the machine's PostgreSQL (PG_URL):
// first start from an empty data folder, warm start, memory idle, idle commits, one service
// restarted alone, and an edit to one service's source served again through the watch mode.

import { writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  dropServiceDatabases,
  freePort,
  type Platform,
  type PlatformOptions,
  runSeed,
  startPlatform,
  watchPlatform,
} from "@weft/cli/dev";
import { type App, loadApp } from "@weft/mesh/app";
import { testServerUrl } from "@weft/mesh/data";
import { type BenchContext, scratch } from "../harness/context.ts";
import { lastLines, memoryOf } from "../harness/platform.ts";
import type { Goal, Row, Section } from "../harness/report.ts";
import { measureIdleCommits } from "./idle-commits.ts";
import { compareLoaders } from "./loaders.ts";

type Mode = "embedded" | "PG_URL";

interface ModeFigures {
  firstStart: number;
  warmStart: number;
  /** MB: services and gateway (RSS), plus the PostgreSQL and NATS the platform started (PSS). */
  totalMb: number;
  workloadRss: Map<string, number>;
  postgresMb: number | undefined;
  natsMb: number | undefined;
  restartAlone: Map<string, number>;
  editServed: number[];
  idleCommits: number;
  startedTogether: Map<string, number>;
}

/** Seconds of idleness the commit rate is measured over. */
const idleSeconds = 30;
/** Windows of this length are measured after the start until one is quiet (under 1 commit/s)… */
const settleWindowSeconds = 5;
/** …or until this long has passed. */
const settleMaxSeconds = 60;
/** PostgreSQL's backends report commits up to 10 s after going idle (PGSTAT_IDLE_INTERVAL). */
const statsLagMs = 11_000;
/** The services whose source is "edited" (saved unchanged) to time the watch mode. */
const editedServices = ["catalog", "orders"];

export async function runP5(context: BenchContext): Promise<Section> {
  const started = performance.now();
  const app = loadApp();
  const rows: Row[] = [];
  const notRun: string[] = [];
  const figures = new Map<Mode, ModeFigures>();
  for (const mode of ["embedded", "PG_URL"] as const) {
    const logs = lastLines();
    try {
      figures.set(mode, await measureMode(context, app, mode, logs.sink));
    } catch (error) {
      notRun.push(
        `${mode}: ${error instanceof Error ? error.message : String(error)}. Last log lines: ${logs.lines().slice(-8).join(" / ")}`,
      );
    }
  }
  for (const [mode, f] of figures) {
    const load = mode === "embedded" ? "embedded PostgreSQL (default)" : "PG_URL (the machine's PostgreSQL)";
    rows.push(
      {
        subject: "first start, empty data folder → is up",
        load,
        value: f.firstStart,
        unit: "s",
        note: "bundles built, database initialised, migrations, seed",
      },
      {
        subject: "warm start → is up",
        load,
        value: f.warmStart,
        unit: "s",
        note: "bundles up to date, databases there, seed again",
      },
      {
        subject: "whole platform idle",
        load,
        value: f.totalMb,
        unit: "MB",
        note: `services + gateway RSS${f.postgresMb === undefined ? "" : ` + PostgreSQL ${Math.round(f.postgresMb)} MB PSS`}${f.natsMb === undefined ? "" : ` + NATS ${Math.round(f.natsMb)} MB`}`,
      },
      ...[...f.workloadRss].map(([name, mb]) => ({ subject: name, load: `${load}, idle`, value: mb, unit: "MB RSS" })),
      ...[...f.startedTogether].map(([name, s]) => ({
        subject: name,
        load: `${load}, first start with the others (2 cores shared)`,
        value: s,
        unit: "s to SERVING",
      })),
      ...[...f.restartAlone].map(([name, s]) => ({
        subject: name,
        load: `${load}, restarted alone`,
        value: s,
        unit: "s to SERVING",
      })),
      {
        subject: "source saved → serving again (watch mode)",
        load,
        value: Math.max(...f.editServed),
        unit: "s",
        note: `slowest of ${editedServices.join(", ")}: rebuild of its bundle + restart + SERVING`,
      },
      {
        subject: "idle commits",
        load,
        value: f.idleCommits,
        unit: "commits/s",
        note: `over ${idleSeconds} s, the platform's databases summed`,
      },
    );
  }
  const loaderDir = join(app.root, ".data", "bench-p5-loaders");
  try {
    for (const loader of await compareLoaders(app.root, loaderDir, 3)) {
      rows.push(
        { subject: loader.name, load: "import @weft/mesh (fresh process)", value: loader.importMs, unit: "ms" },
        { subject: loader.name, load: "import @weft/mesh (fresh process)", value: loader.rssMb, unit: "MB RSS" },
      );
    }
  } catch (error) {
    notRun.push(`the loader comparison failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    id: "P5",
    title: "footprint (start time and memory)",
    rows,
    goals: goalsOf(figures.get("embedded")),
    method: [
      "`startPlatform` + `runSeed` from @weft/cli/dev — what `make up` (`weft dev`) runs after `npm ci` and `buf generate` — in a scratch data folder, with a private nats-server on a free port and free service ports; each workload runs `node --enable-source-maps` on its esbuild bundle (cli/src/dev/build.ts). Run twice in the same benchmark: on the embedded PostgreSQL (the default: one server under the data folder, a database and role per service) and on the machine's PostgreSQL through PG_URL (fresh databases, dropped after).",
      "“First start” is from the call on an empty data folder (so: bundles built, the embedded cluster initialised, roles and databases created, migrations, certificates, the seed) until the seed has run — when `weft dev` prints “is up”. “Warm start” stops that platform and starts it again on the same folder: bundles up to date, databases there, the seed run again.",
      "Memory is read from /proc a few seconds after start, idle: each workload's RSS; the PostgreSQL the platform started counts as the PSS of its server and backends (their shared buffers counted once), NATS likewise. With PG_URL the machine's own PostgreSQL is shared and not counted. The launcher itself (the CLI, here the benchmark process) is not counted.",
      `“Idle commits” is the sum of pg_stat_database.xact_commit over the platform's databases, before and after ${idleSeconds} s of no requests, per second — once the seed's events are relayed and consumed (the first ${settleWindowSeconds} s window under 1 commit/s, at most ${settleMaxSeconds} s after the start) and ${statsLagMs / 1000} s more, since a PostgreSQL backend reports its commits up to 10 s after it goes idle and the start's would otherwise land in the window. PostgreSQL's autovacuum runs in those databases (one transaction each, counted per table in pg_stat_all_tables) are taken off: the server's doing, not the platform's.`,
      "“Restarted alone” is SIGTERM, then spawn → SERVING on grpc.health.v1 with the rest of the shop idle. “Source saved → serving again” writes one service's src/main.ts back unchanged under the watch mode (`watchPlatform`, what `weft dev` runs): the watcher's debounce, the bundle rebuilt by its esbuild context, the graceful stop, the start and SERVING.",
      "The loader rows load what every service imports (@weft/mesh and its dependencies) in a fresh process, 3 rounds alternating, medians: tsx compiling the sources (what `make up` ran before), Node's own type stripping (`--experimental-transform-types`, with a resolve hook for the generated code's `.js` specifiers, which plain stripping cannot load), tsc's output of the mesh, and the bundle.",
      "Before (main with PGlite, BENCHMARKS.md of commit ce3797d, measured on bf17852, this machine): all six services and the gateway started together 28.4 s to all healthy; services 657–728 MB RSS each (about 4.4 GB with the gateway's 279 MB); one restarted alone 2.0–2.5 s. PGlite is gone now, so it cannot be run side by side. Main with the embedded PostgreSQL and tsx (19b9b9d): 15.0 s to all healthy, 284–306 MB per process, 2.3–2.5 s restarted alone.",
    ],
    limits: [
      "Why a bundle and not tsc or type stripping (see the loader rows): all three non-bundled ways leave Node to resolve and load every module of node_modules one by one — hundreds of files, and Node 24 parses a package's package.json again for each module it resolves inside it (drizzle-orm's is 180 KB) — so the import alone costs seconds and about 150 MB more than the bundle, which is one file read, no resolution. Type stripping additionally cannot load the sources as they are. The bundle's source map is thinned to the app's and Weft's own sources (cli/src/dev/source-map.ts): Node turns every mapping into an array when it first formats a stack trace, about 60 MB per process for a full map.",
      "What remains per service is V8 and Node themselves (about 45 MB for an empty process), the bundle's code (2.5 MB of source, its bytecode), grpc-js, protobuf descriptors, NATS and the pools; the OpenTelemetry SDK is not loaded unless OTEL_* asks for it (the console does, when `weft dev` runs with it).",
    ],
    notRun,
    seconds: (performance.now() - started) / 1000,
  };
}

function goalsOf(f: ModeFigures | undefined): Goal[] {
  if (f === undefined) return [];
  const goal = (name: string, value: number, target: number, formula: string): Goal => ({
    name,
    ratio: value,
    direction: "≤",
    target,
    formula,
  });
  return [
    goal("first start from empty .data → is up", f.firstStart, 15, "seconds"),
    goal("warm start → is up", f.warmStart, 6, "seconds"),
    goal("whole platform idle", f.totalMb / 1024, 1.2, "GB: services + gateway RSS + PostgreSQL and NATS PSS"),
    goal("largest service idle", Math.max(...f.workloadRss.values()) / 1024, 0.12, "GB RSS, the largest workload"),
    goal(
      "one service restarted alone → SERVING",
      Math.max(...f.restartAlone.values()),
      1,
      "seconds, the slowest service",
    ),
    goal("source saved → serving again", Math.max(...f.editServed), 2, "seconds, through the watch mode"),
    goal("idle commits", f.idleCommits, 1, "commits per second, all databases"),
  ];
}

async function measureMode(
  context: BenchContext,
  app: App,
  mode: Mode,
  sink: (name: string, line: string) => void,
): Promise<ModeFigures> {
  const dataDir = join(scratch(context, `p5-${mode === "embedded" ? "embedded" : "pgurl"}`), "data");
  const prefix = `weft_p5_${process.pid}`;
  const startedTogether = new Map<string, number>();
  const options: PlatformOptions = {
    dataDir,
    gatewayPort: 0,
    freeServicePorts: true,
    natsPort: await freePort(),
    env: { LOG_LEVEL: "warn" },
    logs: sink,
    ...(mode === "PG_URL" ? { pgUrl: testServerUrl, databasePrefix: prefix } : {}),
  };
  const start = async (progress?: (line: string) => void) => {
    const t = performance.now();
    const platform = await startPlatform(app, { ...options, ...(progress ? { progress } : {}) });
    await runSeed(platform, sink);
    return { platform, seconds: (performance.now() - t) / 1000 };
  };
  let platform: Platform | undefined;
  try {
    const first = await start((line) => {
      const m = /✓ (\S+)\s+.*\(([\d.]+) s\)/.exec(line);
      if (m) startedTogether.set(m[1]!, Number(m[2]));
      if (line.startsWith("built ") || line.includes("PostgreSQL under")) context.log(`  P5 ${mode}: ${line}`);
    });
    platform = first.platform;
    context.log(`  P5 ${mode}: first start → is up ${first.seconds.toFixed(1)} s`);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const memory = memoryNow(platform);
    const databases = [...platform.databaseUrls.values()].map((url) =>
      decodeURIComponent(new URL(url).pathname.slice(1)),
    );
    const target = { adminUrl: platform.embeddedPgUrl ?? testServerUrl, databases };
    // The seed's events are still being relayed and consumed right after the start: that is work,
    // not idleness. Idle is measured once a short window is quiet (or after settleMaxSeconds).
    const settleStart = performance.now();
    while ((performance.now() - settleStart) / 1000 < settleMaxSeconds) {
      if ((await measureIdleCommits(target, settleWindowSeconds)).commitsPerSecond < 1) break;
    }
    const settled = (performance.now() - settleStart) / 1000;
    // A backend that went idle reports its last commits up to 10 s later (PostgreSQL's stats
    // idle interval): let what the start and the seed committed arrive before the window opens.
    await new Promise((resolve) => setTimeout(resolve, statsLagMs));
    const idle = await measureIdleCommits(target, idleSeconds);
    const idleCommits = idle.commitsPerSecond;
    context.log(
      `  P5 ${mode}: settled after ${settled.toFixed(0)} s; idle by database ${Object.entries(idle.byDatabase)
        .map(([name, rate]) => `${name} ${rate.toFixed(2)}`)
        .join(", ")}; autovacuum ${idle.autovacuumPerSecond.toFixed(2)}/s (not counted)`,
    );
    context.log(`  P5 ${mode}: ${Math.round(memory.totalMb)} MB in all, ${idleCommits.toFixed(2)} commits/s idle`);
    const restartAlone = new Map<string, number>();
    for (const service of app.services) {
      await platform.kill(service.name, "SIGTERM");
      const t = performance.now();
      await platform.start(service.name);
      restartAlone.set(service.name, (performance.now() - t) / 1000);
    }
    const editServed: number[] = [];
    for (const name of editedServices) editServed.push(await timeEdit(platform, app, name));
    context.log(`  P5 ${mode}: edit → serving ${editServed.map((s) => s.toFixed(2)).join(", ")} s`);
    await platform.stop();
    platform = undefined;
    const warm = await start();
    platform = warm.platform;
    context.log(`  P5 ${mode}: warm start → is up ${warm.seconds.toFixed(1)} s`);
    return {
      firstStart: first.seconds,
      warmStart: warm.seconds,
      ...memory,
      restartAlone,
      editServed,
      idleCommits,
      startedTogether,
    };
  } finally {
    await platform?.stop();
    if (mode === "PG_URL") await dropDatabases(app, prefix);
  }
}

function memoryNow(
  platform: Platform,
): Omit<ModeFigures, "firstStart" | "warmStart" | "restartAlone" | "editServed" | "idleCommits" | "startedTogether"> {
  const ids = platform.processIds();
  const workloadRss = new Map<string, number>();
  for (const [name, pid] of ids) {
    if (name === "postgres" || name === "nats") continue;
    const memory = memoryOf(pid);
    if (memory) workloadRss.set(name, memory.rssMb);
  }
  const postgresPid = ids.get("postgres");
  const natsPid = ids.get("nats");
  const postgresMb = postgresPid === undefined ? undefined : memoryOf(postgresPid, true)?.pssMb;
  const natsMb = natsPid === undefined ? undefined : memoryOf(natsPid)?.pssMb;
  const totalMb = [...workloadRss.values()].reduce((sum, mb) => sum + mb, 0) + (postgresMb ?? 0) + (natsMb ?? 0);
  return { totalMb, workloadRss, postgresMb, natsMb };
}

/**
 * Saves a service's entry point unchanged under the watch mode; seconds until a new process of it
 * serves (the supervisor calls a workload running once its health check says SERVING).
 */
async function timeEdit(platform: Platform, app: App, name: string): Promise<number> {
  const file = join(app.service(name)!.dir, "src", "main.ts");
  const text = await readFile(file, "utf8");
  const before = platform.processIds().get(name);
  const watcher = watchPlatform(platform, () => {});
  try {
    // fs.watch needs a moment to be armed.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const t = performance.now();
    writeFileSync(file, text);
    const deadline = Date.now() + 60_000;
    const servesAgain = () => {
      const pid = platform.processIds().get(name);
      return pid !== undefined && pid !== before && platform.states().get(name) === "running";
    };
    while (!servesAgain()) {
      if (Date.now() > deadline) throw new Error(`${name} was not reloaded within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return (performance.now() - t) / 1000;
  } finally {
    watcher.close();
  }
}

function dropDatabases(app: App, prefix: string): Promise<void> {
  return dropServiceDatabases(testServerUrl, prefix, app.services);
}
