// P5 footprint: the whole shop started the way `make up` starts it (@weft/cli/dev: NATS, six
// services as processes on one embedded PostgreSQL with a database and role each, the gateway) — time to all healthy; then
// each service restarted alone: process start → SERVING, and resident memory per process.
import { join } from "node:path";
import { freePort, type Platform, startPlatform } from "@weft/cli/dev";
import { loadApp } from "@weft/mesh/app";
import { type BenchContext, scratch } from "../harness/context.ts";
import { entryOf, lastLines, rssOf } from "../harness/platform.ts";
import type { Row, Section } from "../harness/report.ts";

export async function runP5(context: BenchContext): Promise<Section> {
  const started = performance.now();
  const dir = scratch(context, "p5");
  const logs = lastLines();
  const parallel = new Map<string, number>();
  const rows: Row[] = [];
  const notRun: string[] = [];
  let platform: Platform | undefined;
  const app = loadApp();
  const serviceNames = app.services.map((s) => s.name);
  const t0 = performance.now();
  try {
    platform = await startPlatform(app, {
      dataDir: join(dir, "data"),
      gatewayPort: 0,
      freeServicePorts: true,
      natsPort: await freePort(),
      env: { LOG_LEVEL: "warn" },
      logs: logs.sink,
      progress: (line) => {
        const m = /✓ (\S+)\s+.*\(([\d.]+) s\)/.exec(line);
        if (m) parallel.set(m[1]!, Number(m[2]));
      },
    });
  } catch (error) {
    notRun.push(
      `\`startPlatform\` (make up-style, embedded PostgreSQL) failed, so no footprint was measured: ${error instanceof Error ? error.message : String(error)}. Last log lines: ${logs.lines().slice(-8).join(" / ")}`,
    );
  }
  if (platform) {
    const allHealthy = (performance.now() - t0) / 1000;
    rows.push({
      subject: "make up-style start → all healthy",
      load: "NATS + 6 services in parallel, then gateway",
      value: allHealthy,
      unit: "s",
      note: "startPlatform on the embedded PostgreSQL, like `make up` after install/generate",
    });
    for (const name of [...serviceNames, "gateway"]) {
      const s = parallel.get(name);
      if (s !== undefined)
        rows.push({ subject: name, load: "started with the others (2 cores shared)", value: s, unit: "s to SERVING" });
    }
    for (const name of [...serviceNames, "gateway"]) {
      const rss = rssOf(entryOf(name));
      if (rss) rows.push({ subject: name, load: "idle after start", value: rss.rssKb / 1024, unit: "MB RSS" });
    }
    try {
      for (const name of serviceNames) {
        await platform.kill(name, "SIGTERM");
        const t = performance.now();
        await platform.start(name);
        const seconds = (performance.now() - t) / 1000;
        context.log(`  ${name}: process start → SERVING ${seconds.toFixed(2)} s alone`);
        rows.push({ subject: name, load: "restarted alone", value: seconds, unit: "s to SERVING" });
      }
    } catch (error) {
      notRun.push(`restarting services one by one failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    await platform.stop();
  }
  return {
    id: "P5",
    title: "footprint (start time and memory)",
    rows,
    goals: [],
    method: [
      "`startPlatform` from @weft/cli/dev — what `make up` (`weft dev`) runs after `npm ci` and `buf generate` — with one embedded PostgreSQL (a database and role per service) in a scratch folder, a private nats-server on a free port and free service ports. “All healthy” is from the call until every service answers SERVING on grpc.health.v1 and the gateway's /readyz is 200. Per-service “started with the others” is the launcher's own spawn → SERVING figure while all six start at once on 2 cores; “restarted alone” is SIGTERM, then spawn → SERVING with the rest of the shop idle (node + tsx loader, TypeScript compiled on the fly, migrations checked, certificate issued).",
      "RSS is VmRSS from /proc of each service's node process (not the tsx wrapper: the launcher runs `node --import tsx`), idle right after start.",
    ],
    limits: [
      "Start time is dominated by loading TypeScript through tsx (compiling every imported file on each start) six processes share 2 cores when `make up` starts them together. Compiled JavaScript (one bundle per service) would start faster and hold far less memory: see issue 11.",
    ],
    notRun,
    seconds: (performance.now() - started) / 1000,
  };
}
