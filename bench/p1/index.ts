// P1 mesh overhead: unary Echo through a Weft server+client (mTLS, policy, tracing SDK with a
// discarding exporter, metrics, breaker, access log) against bare grpc-js client+server with the
// same certificates, codecs and handler.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ChildHandle, startChild } from "../harness/child.ts";
import { type BenchContext, scratch } from "../harness/context.ts";
import {
  compareClosed,
  compareOpen,
  cpuSummary,
  type Series,
  startDrivers,
  summarize,
  type Variant,
} from "../harness/drivers.ts";
import { lastSamples, profileMarkdown, profilesIn, summarizeProfile } from "../harness/profile.ts";
import type { Goal, Row, Section } from "../harness/report.ts";
import { issuePems, type MeshDirs } from "../harness/runtime.ts";
import { pairedRatio } from "../harness/stats.ts";
import { echoPolicyYaml } from "./echo.ts";
import type { P1ServerRequest } from "./server.ts";

const serverEntry = new URL("./server.ts", import.meta.url);
const weftName = "Weft server+client";
const bareName = "bare grpc-js server+client";
const sampledName = "Weft, 1% of traces sampled";

/**
 * Head sampling as a busy production mesh runs it (1% is Istio's default): for information beside
 * the goal, which is judged with every call traced.
 */
const sampledEnv = { OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.01" };

async function startServer(
  name: string,
  request: P1ServerRequest,
  cpuProfDir?: string,
  env?: Record<string, string>,
): Promise<{ child: ChildHandle; address: string }> {
  const child = await startChild(serverEntry, { name, cpuProfDir, env });
  const port = await child.call<number>(request);
  return { child, address: `127.0.0.1:${port}` };
}

export async function runP1(context: BenchContext): Promise<Section> {
  const started = performance.now();
  const dir = scratch(context, "p1");
  const dirs: MeshDirs = { meshDir: join(dir, "ca"), policyDir: join(dir, "policy") };
  mkdirSync(dirs.policyDir, { recursive: true });
  writeFileSync(join(dirs.policyDir, "echo.yaml"), echoPolicyYaml);
  const serverPems = await issuePems(dirs.meshDir, "echo");
  const clientPems = await issuePems(dirs.meshDir, "bench-client");

  const weftServer = await startServer("p1-weft-server", { kind: "start-weft", ...dirs });
  const bareServer = await startServer("p1-bare-server", { kind: "start-bare", pems: serverPems });
  const sampledServer = await startServer("p1-sampled-server", { kind: "start-weft", ...dirs }, undefined, sampledEnv);
  const variants: Variant[] = [
    {
      name: weftName,
      drivers: await startDrivers(
        "p1-weft",
        { kind: "weft-echo", address: weftServer.address, ...dirs },
        { processes: 1, sdkTracing: true },
      ),
      serving: [{ role: "server", pids: [weftServer.child.pid] }],
    },
    {
      name: bareName,
      drivers: await startDrivers(
        "p1-bare",
        { kind: "bare-echo", address: bareServer.address, pems: clientPems },
        { processes: 1, sdkTracing: false },
      ),
      serving: [{ role: "server", pids: [bareServer.child.pid] }],
    },
  ];
  const sampled: Variant = {
    name: sampledName,
    drivers: await startDrivers(
      "p1-sampled",
      { kind: "weft-echo", address: sampledServer.address, ...dirs },
      { processes: 1, sdkTracing: true, env: sampledEnv },
    ),
  };
  const rows: Row[] = [];
  const goals: Goal[] = [];
  let closed: Series[] = [];
  let sampledClosed: Series[] = [];
  let open: Series[] = [];
  let rate = 0;
  try {
    closed = await compareClosed(variants, {
      rounds: context.rounds,
      concurrencies: [1, 32, 256],
      maxMs: context.stepMs,
      maxRequests: 200_000,
      warmupMs: 1_500,
      log: context.log,
    });
    sampledClosed = await compareClosed([sampled, variants[1]!], {
      rounds: context.rounds,
      concurrencies: [32],
      maxMs: context.stepMs,
      maxRequests: 200_000,
      warmupMs: 1_500,
      log: context.log,
    });
    const at32 = closed.filter((s) => s.load === "c=32").map((s) => summarize(s).rps);
    rate = Math.max(50, Math.round((0.5 * Math.min(...at32)) / 50) * 50);
    context.log(`  open model at ${rate}/s (half the slower variant's c=32 throughput)`);
    open = await compareOpen(variants, {
      rounds: context.rounds,
      ratePerSecond: rate,
      durationMs: Math.max(2_000, context.stepMs),
      maxInFlight: 1_024,
      log: context.log,
    });
  } finally {
    await Promise.all([...variants, sampled].map((v) => v.drivers.close()));
    await Promise.all([weftServer.child.close(), bareServer.child.close(), sampledServer.child.close()]);
  }

  for (const s of closed) {
    const { rps, p50, p99 } = summarize(s);
    const note = `p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms${s.errors ? `, ${s.errors} errors: ${s.firstError}` : ""}`;
    rows.push({ subject: s.variant, load: `closed ${s.load}`, value: rps, unit: "req/s", note });
  }
  for (const s of open) {
    const { p50, p99 } = summarize(s);
    rows.push({ subject: s.variant, load: s.load, value: p50, unit: "ms p50" });
    rows.push({
      subject: s.variant,
      load: s.load,
      value: p99,
      unit: "ms p99",
      note: s.shed || s.errors ? `shed ${s.shed}, errors ${s.errors}` : undefined,
    });
  }
  const series = (list: Series[], variant: string, load: string) =>
    list.find((s) => s.variant === variant && s.load === load)!;
  for (const c of [1, 32, 256]) {
    const ratio = pairedRatio(
      series(closed, weftName, `c=${c}`).throughputs,
      series(closed, bareName, `c=${c}`).throughputs,
    );
    rows.push({ subject: "Weft ÷ bare throughput", load: `closed c=${c}`, value: ratio, unit: "×" });
    goals.push({ name: `throughput c=${c}`, ratio, direction: "≥", target: 0.85, formula: "Weft req/s ÷ bare req/s" });
  }
  // CPU per call: with the machine's cores busy, throughput is what the processes' CPU per call allows.
  const cpuAt = (variant: string, load: string) => cpuSummary(series(closed, variant, load));
  for (const variant of [weftName, bareName]) {
    for (const [role, micros] of cpuAt(variant, "c=32")) {
      const others = ["c=1", "c=256"].map(
        (load) => `${load} ${Math.round(cpuAt(variant, load).get(role) ?? Number.NaN)}`,
      );
      rows.push({
        subject: `${variant}: ${role === "driver" ? "client (load driver)" : role} CPU per call`,
        load: "closed c=32",
        value: micros,
        unit: "µs",
        note: `${others.join(", ")} µs`,
      });
    }
  }
  const sampled32 = series(sampledClosed, sampledName, "c=32");
  const sampledRatio = pairedRatio(sampled32.throughputs, series(sampledClosed, bareName, "c=32").throughputs);
  rows.push({
    subject: sampledName,
    load: "closed c=32",
    value: summarize(sampled32).rps,
    unit: "req/s",
    note: "information: OTEL_TRACES_SAMPLER=parentbased_traceidratio, _ARG=0.01",
  });
  rows.push({
    subject: "Weft (1% sampled) ÷ bare throughput",
    load: "closed c=32",
    value: sampledRatio,
    unit: "×",
    note: "information, not the goal: paired with the bare pair in rounds of its own",
  });
  const openLoad = `open ${rate}/s`;
  const p99Ratio = pairedRatio(series(open, weftName, openLoad).p99s, series(open, bareName, openLoad).p99s);
  rows.push({ subject: "Weft ÷ bare p99", load: openLoad, value: p99Ratio, unit: "×" });
  goals.push({
    name: `p99 at ${rate}/s`,
    ratio: p99Ratio,
    direction: "≤",
    target: 1.2,
    formula: "Weft p99 ÷ bare p99",
  });

  const weftCpu = cpuAt(weftName, "c=32");
  const bareCpu = cpuAt(bareName, "c=32");
  const cpuOf = (cpu: Map<string, number>, role: string) => Math.round(cpu.get(role) ?? Number.NaN);
  const weftTotal = cpuOf(weftCpu, "server") + cpuOf(weftCpu, "driver");
  const bareTotal = cpuOf(bareCpu, "server") + cpuOf(bareCpu, "driver");
  const limits: string[] = [
    `CPU per call at c=32, from /proc during the measured rounds: Weft's server ${cpuOf(weftCpu, "server")} µs against the bare server's ${cpuOf(bareCpu, "server")} µs, Weft's client process ${cpuOf(weftCpu, "driver")} µs against the bare client's ${cpuOf(bareCpu, "driver")} µs (the load driver's own work is in both). Client and server share the 2 cores, so the two together set the throughput: ${bareTotal} ÷ ${weftTotal} µs = ${(bareTotal / weftTotal).toFixed(2)}, which is what the ratio measures. The difference is Weft's per-call work below, split about evenly between the two sides.`,
    "Per-call work the bare pair does not do, all on the same event loop as the TLS and HTTP/2 framing. On the server, one object per call (the call gate, `mesh/src/server/call-gate.ts`, a grpc-js server interceptor that decides authorization when the headers arrive, so a denied call is never decoded), the W3C trace-context parse, a server span (the SDK is on, always-on sampling unless OTEL_TRACES_SAMPLER says otherwise, with a no-op exporter), AsyncLocalStorage for the incoming call and its trace context, the RED metric updates (plain counters and a duration histogram bound per method, handed to prom-client's registry when scraped). On the client: cockatiel's bulkhead (the breaker is only entered while it holds failures or is not closed), a client span with W3C header injection, deadline and header propagation and metrics. With a single connection and 2 cores, whichever of client or server saturates first sets the throughput, so per-call CPU translates almost directly into the ratio.",
    "Done so far: the verified principal cached per TLS connection; no per-call deadline timer when the caller sent a deadline; policy decisions cached per (caller, method); the interceptor chain replaced by the call gate; the AbortController, response trailers and request id made only when a handler asks; span names, options and attributes and the metric label sets bound once per method; OTEL_TRACES_SAMPLER honoured by the mesh before any span object exists (an unsampled call allocates none); generated codecs hand grpc-js the encoded bytes without a copy; the duration histogram bound per method (prom-client's children re-hash their labels on every observe), the breaker's closed path without wrapper promises, and the sampling of allow decisions keyed by the cached decision instead of a string per call. The profiles are from a separate round with `--cpu-prof`, so they do not disturb the figures.",
  ];
  const profiled = context.profile ? await profileWeft(dirs, dir, context.log) : undefined;
  limits.splice(1, 0, tailSentence(closed, open, openLoad, sampledRatio, profiled?.gcShares ?? []));
  if (profiled) limits.push(...profiled.lines);

  return {
    id: "P1",
    title: "mesh overhead (unary Echo, mTLS both ways)",
    rows,
    goals,
    method: [
      `Two server processes (Weft: \`createMesh\` + \`serve\`; bare: grpc-js \`Server.addService(EchoServiceDefinition)\`) and one client process per variant; the client is part of what is compared (Weft: \`mesh.connect\` — deadline, breaker + bulkhead (cockatiel), client span, metrics, SPIFFE server check; bare: grpc-js \`Client.makeUnaryRequest\` with a deadline). Both sides present certificates issued by the same local CA (\`mesh/src/identity\`), ECDSA P-256, and require client certificates. Same handler (\`async (r) => ({ text: r.text })\`), same generated codecs, a 64-byte request.`,
      "Weft processes run the OpenTelemetry SDK (`TracerProvider`, always-on sampling unless `OTEL_TRACES_SAMPLER` is set, `BatchSpanProcessor`) with an exporter that discards, prom-client RED metrics, the AuthorizationPolicy engine with a policy allowing exactly the caller's SPIFFE principal, and pino at `info` writing to /dev/null (a successful call logs at debug, so nothing per call).",
      "For information, a third pair runs the same Weft server and client with head sampling at 1% (`OTEL_TRACES_SAMPLER=parentbased_traceidratio`, `OTEL_TRACES_SAMPLER_ARG=0.01`; Istio's default rate): an unsampled call starts no span at all, so this pair shows what the mesh costs without tracing's share. It is compared with the bare pair at c=32 in rounds of its own; the goals are judged on the always-on pair.",
      `Closed loop at concurrency 1, 32 and 256 over one HTTP/2 connection for ${context.stepMs / 1000} s per round, ${context.rounds} rounds, variants alternating order each round; the median of rounds is reported and the ratio is the median of per-round paired ratios. Latency: open model at a fixed ${rate} req/s (half of the slower variant's c=32 throughput, decided in the same run), latency counted from each request's scheduled start.`,
    ],
    limits,
    notRun: [],
    seconds: (performance.now() - started) / 1000,
  };
}

/** How long the profiled load runs, after a warm-up that the summary leaves out. */
const profiledLoadMs = 5_000;

/**
 * One extra, separate round with `--cpu-prof` on the Weft server and client: a warm-up, then the
 * measured load; only the load's samples are summarized (start-up and module loading are not what
 * P1 measures).
 */
/**
 * What sets the p99, from the figures themselves: the tail at one call at a time (where queueing
 * plays no part), the open model's p99 against its p50 for both variants, and V8's garbage
 * collector in the Weft processes' profiles.
 */
function tailSentence(
  closed: Series[],
  open: Series[],
  openLoad: string,
  sampledRatio: number,
  gcShares: readonly number[],
): string {
  const at = (list: Series[], variant: string, load: string) =>
    summarize(list.find((s) => s.variant === variant && s.load === load)!);
  const weft1 = at(closed, weftName, "c=1");
  const bare1 = at(closed, bareName, "c=1");
  const weftOpen = at(open, weftName, openLoad);
  const of32 = (variant: string) => closed.find((s) => s.variant === variant && s.load === "c=32")!.throughputs;
  const tracedRatio = pairedRatio(of32(weftName), of32(bareName));
  const bareOpen = at(open, bareName, openLoad);
  const gc =
    gcShares.length > 0
      ? ` V8's garbage collector is ${gcShares.map((share) => `${(share * 100).toFixed(0)}%`).join(" and ")} of the Weft server's and client's CPU in the profiles below: every traced call leaves span objects in the batch span processor's queue until it exports (512 at a time), so many of them outlive the young generation and are left to the slower old-generation collections.`
      : "";
  return `The p99 is set by pauses, not by per-call work. One call at a time, where nothing queues, Weft's p50 is ${weft1.p50.toFixed(2)} ms against bare's ${bare1.p50.toFixed(2)} ms, and its p99 ${weft1.p99.toFixed(2)} against ${bare1.p99.toFixed(2)} ms. In the open model at ${openLoad.slice(5)} both variants' p99 are many times their p50 (Weft ${weftOpen.p99.toFixed(1)} ms against p50 ${weftOpen.p50.toFixed(2)}, bare ${bareOpen.p99.toFixed(1)} against ${bareOpen.p50.toFixed(2)}): a stall of either process on the shared cores queues every call behind it, so the ratio of two such tails swings from run to run.${gc} With 1% of traces sampled the c=32 throughput ratio is ${sampledRatio.toFixed(2)} (every call traced: ${tracedRatio.toFixed(2)}): the spans are part of the per-call cost, not most of it.`;
}

async function profileWeft(
  dirs: MeshDirs,
  dir: string,
  log: (line: string) => void,
): Promise<{ lines: string[]; gcShares: number[] }> {
  const serverProf = join(dir, "prof-server");
  const clientProf = join(dir, "prof-client");
  const server = await startServer("p1-weft-server-prof", { kind: "start-weft", ...dirs }, serverProf);
  const drivers = await startDrivers(
    "p1-weft-prof",
    { kind: "weft-echo", address: server.address, ...dirs },
    { processes: 1, sdkTracing: true, cpuProfDir: clientProf },
  );
  await drivers.closed(32, 200_000, 1_500);
  await drivers.closed(32, 1_000_000, profiledLoadMs);
  await drivers.close();
  await server.child.close();
  const out: string[] = [];
  const gcShares: number[] = [];
  for (const [title, folder] of [
    ["P1 Weft server process at c=32", serverProf],
    ["P1 Weft client process at c=32", clientProf],
  ] as const) {
    const file = profilesIn(folder)[0];
    if (file === undefined) continue;
    const summary = summarizeProfile(lastSamples(file, profiledLoadMs));
    gcShares.push(summary.areas.find((a) => a.area === "V8 garbage collector")?.share ?? 0);
    const lines = profileMarkdown(title, summary);
    for (const line of lines) if (line !== "") log(`  ${line}`);
    out.push(...lines);
  }
  return { lines: out, gcShares };
}
