// P2 edge: the same GetProduct as REST/JSON through the gateway, as Connect through the gateway, as
// gRPC straight to the service, and from connect-node serving the same handler directly.
import { join } from "node:path";
import { type ChildHandle, startChild } from "../harness/child.ts";
import { type BenchContext, scratch } from "../harness/context.ts";
import { compareClosed, cpuSummary, type Series, startDrivers, summarize, type Variant } from "../harness/drivers.ts";
import { lastSamples, profileMarkdown, profilesIn, summarizeProfile } from "../harness/profile.ts";
import type { Goal, Row, Section } from "../harness/report.ts";
import { issuePems, type MeshDirs } from "../harness/runtime.ts";
import { pairedRatio } from "../harness/stats.ts";
import type { P2ServerRequest } from "./servers.ts";

const serverEntry = new URL("./servers.ts", import.meta.url);
const rest = "REST/JSON via gateway";
const connect = "Connect via gateway";
const grpc = "gRPC direct to service";
const connectNode = "connect-node serving directly";
const driverProcesses = 2;

/**
 * What 0.6 would take: with the catalog the same both ways and the gateway's upstream call about
 * what the direct client costs, the REST edge's own work must fit in what is left of the budget.
 */
function edgeBudgetSentence(grpcTotal: number, restDrivers: number): string {
  const budget = Math.round(grpcTotal / 0.6 - grpcTotal - restDrivers);
  return budget > 0
    ? `The ratio could reach 0.6 only if the whole REST edge (HTTP/1.1, routing, JSON both ways, the access log, the edge span, CORS and limits) cost under about ${budget} µs per request on top of the gateway's mesh client call.`
    : "Even a REST edge that cost nothing on top of the gateway's mesh client call would stay under 0.6: the HTTP/1.1 load drivers and the extra hop alone use up the budget.";
}

async function server(
  name: string,
  request: P2ServerRequest,
  cpuProfDir?: string,
): Promise<{ child: ChildHandle; port: number }> {
  const child = await startChild(serverEntry, { name, cpuProfDir });
  return { child, port: await child.call<number>(request) };
}

export async function runP2(context: BenchContext): Promise<Section> {
  const started = performance.now();
  const dir = scratch(context, "p2");
  const dirs: MeshDirs = { meshDir: join(dir, "ca"), policyDir: new URL("../../istio", import.meta.url).pathname };
  const catalogPems = await issuePems(dirs.meshDir, "catalog");
  const callerPems = await issuePems(dirs.meshDir, "gateway");

  const catalog = await server("p2-catalog", { kind: "catalog", ...dirs });
  const catalogAddr = `127.0.0.1:${catalog.port}`;
  const gateway = await server("p2-gateway", { kind: "gateway", catalogAddr, ...dirs });
  const gatewayUrl = `http://127.0.0.1:${gateway.port}`;
  const connectServer = await server("p2-connect-node", { kind: "connect-node", pems: catalogPems });
  const drivers = (name: string, target: Parameters<typeof startDrivers>[1]) =>
    startDrivers(name, target, { processes: driverProcesses, sdkTracing: false });
  const throughGateway = [
    { role: "gateway", pids: [gateway.child.pid] },
    { role: "catalog", pids: [catalog.child.pid] },
  ];
  const variants: Variant[] = [
    {
      name: rest,
      drivers: await drivers("p2-rest", { kind: "rest", baseUrl: gatewayUrl, maxSockets: 256 }),
      serving: throughGateway,
    },
    {
      name: connect,
      drivers: await drivers("p2-connect", { kind: "connect-gateway", baseUrl: gatewayUrl }),
      serving: throughGateway,
    },
    {
      name: grpc,
      drivers: await drivers("p2-grpc", { kind: "grpc-direct", address: catalogAddr, ...dirs }),
      serving: [{ role: "catalog", pids: [catalog.child.pid] }],
    },
    {
      name: connectNode,
      drivers: await drivers("p2-connect-node", {
        kind: "connect-node-direct",
        baseUrl: `https://127.0.0.1:${connectServer.port}`,
        pems: callerPems,
      }),
    },
  ];
  let closed: Series[] = [];
  try {
    closed = await compareClosed(variants, {
      rounds: context.rounds,
      concurrencies: [1, 32, 256],
      maxMs: context.stepMs,
      maxRequests: 200_000,
      warmupMs: 1_500,
      log: context.log,
    });
  } finally {
    await Promise.all(variants.map((v) => v.drivers.close()));
    await Promise.all([gateway.child.close(), connectServer.child.close()]);
  }
  const cpuAt32 = (variant: string) => cpuSummary(closed.find((x) => x.variant === variant && x.load === "c=32")!);
  const restCpu = cpuAt32(rest);
  const grpcCpu = cpuAt32(grpc);
  const micros = (cpu: Map<string, number>, role: string) => Math.round(cpu.get(role) ?? Number.NaN);
  const restTotal = [...restCpu.values()].reduce((a, b) => a + b, 0);
  const grpcTotal = [...grpcCpu.values()].reduce((a, b) => a + b, 0);
  const limits: string[] = [
    `CPU per request at c=32, from /proc during the measured rounds. REST: the gateway ${micros(restCpu, "gateway")} µs, the catalog ${micros(restCpu, "catalog")} µs, the HTTP/1.1 load drivers ${micros(restCpu, "driver")} µs — ${Math.round(restTotal)} µs in all. Direct gRPC: the catalog ${micros(grpcCpu, "catalog")} µs and the drivers (the same mesh client the gateway uses upstream) ${micros(grpcCpu, "driver")} µs — ${Math.round(grpcTotal)} µs. Every process shares the 2 cores, so throughput is 2 cores ÷ the total: ${Math.round(grpcTotal)} ÷ ${Math.round(restTotal)} = ${(grpcTotal / restTotal).toFixed(2)}, what the ratio measures. The gateway alone costs ${(micros(restCpu, "gateway") / micros(grpcCpu, "driver")).toFixed(1)}× the direct client, for it is that client plus an HTTP server. ${edgeBudgetSentence(grpcTotal, micros(restCpu, "driver"))}`,
    "REST via the gateway is two hops, and the gateway process does the most work per request: HTTP/1.1 parsing, routing and JSON transcoding of request and response, an access-log line, a SERVER span (continuing the caller's traceparent), CORS and rate-limit checks, then a full mesh client call (mTLS, span, breaker, metrics) to the catalog. On 2 cores the gateway, the catalog and the two driver processes compete for CPU, and the gateway is one single-threaded process at about a full core, so REST throughput is the inverse of the gateway's CPU per request; direct gRPC (one hop) is the natural ceiling.",
    "What the edge no longer does per request (issue 13): abort the upstream call's signal after every finished response (a `DOMException` each time; now only when the client leaves first), read the method option that says whether it is public (an extension container per read; now once per method), open an async iterator on bodyless requests, parse a path id through proto3 JSON twice (a top-level string field is now set directly, with the same body-vs-path check), merge an empty query, and let the tracing SDK copy and sanitize an attribute object per span (attributes are set only on a recording span). HTTP/2 sessions (Connect, gRPC-Web, gRPC) read their socket natively instead of through a JavaScript duplex.",
    "Since then: every REST answer went out chunked (its head was written before the body was known, so no Content-Length: a chunk and a last chunk); a JSON answer now carries its length and leaves as one write of head and body, the request id and CORS headers merged into its one `writeHead` instead of a `setHeader` each beforehand. The per-IP and per-user limits are a synchronous fixed-window counter (the windows rate-limiter-flexible's memory limiter kept, without its promise, result object and timer per window); a bodyless request and an anonymous call wait on no promise; an HTTP/1.1 exchange adds no listener and no map entry for the timeout handler; a plain path is not run through WHATWG URL; the router tries a template only on paths of its length. Side by side (two gateways, before and after, in front of one catalog, REST in alternating 1.5 s slices) on a machine shared with other work, the gain stayed inside the noise: medians of paired slices 0.94–1.12 at c=32 and 0.94–1.09 at c=256 over three runs. What does not depend on the machine's load fell by a tenth: the gateway's allocation per request from 88 to 79 KB (a sampling heap profile that keeps collected objects), its scavenges per 1000 requests from 103–109 to 92–94 (1 MB semi-spaces, three runs each).",
    "Measured and left as it is: protobuf-es `toJson` + `JSON.stringify` on GetProductResponse is about 4× slower than a hand-written encoder of the same message, but the difference is roughly 0.3% of the gateway's CPU per request, so the conformant protobuf-es JSON stays. The profile covers the measured load only: the `ajv` and `internalModuleStat` entries it used to show were the gateway's start-up (mesh config schemas compiled by ajv, manifests, module resolution), never per request. The gateway's own code is now a few percent of its profile; what is left is the mesh client call (grpc-js alone ~15%; with its HTTP/2 session, protobuf, cockatiel, span and metrics about a third) Node's HTTP/1.1 parsing and the response's one socket write (10–15% of the samples: on two shared cores much of that is the gateway preempted by the driver its write wakes, which a wall-clock profile books to the write), V8's garbage collector (5–10%), the access-log line (pino and sonic-boom, ~5%) and the edge span (~3%). The mesh client's own fast path is in (the breaker's closed path without wrapper promises, no caller-stack capture per call, no start closure per call), and the direct gRPC client pays the same call, so it moves both sides of the ratio. Closing the rest of the gap needs the gateway on cores of its own, as in a deployment (it is stateless and scales horizontally).",
  ];
  if (context.profile) limits.push(...(await profileGateway(context, dirs, catalogAddr, dir)));
  await catalog.child.close();

  const rows: Row[] = [];
  const goals: Goal[] = [];
  for (const s of closed) {
    const { rps, p50, p99 } = summarize(s);
    rows.push({
      subject: s.variant,
      load: `closed ${s.load}`,
      value: rps,
      unit: "req/s",
      note: `p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms${s.errors ? `, ${s.errors} errors: ${s.firstError}` : ""}`,
    });
  }
  for (const variant of [rest, grpc]) {
    for (const [role, value] of cpuAt32(variant)) {
      rows.push({
        subject: `${variant}: ${role === "driver" ? "load drivers" : role} CPU per request`,
        load: "closed c=32",
        value,
        unit: "µs",
      });
    }
  }
  const of = (variant: string, c: number) =>
    closed.find((s) => s.variant === variant && s.load === `c=${c}`)!.throughputs;
  for (const c of [1, 32, 256]) {
    const ratio = pairedRatio(of(rest, c), of(grpc, c));
    rows.push({ subject: "REST via gateway ÷ gRPC direct", load: `closed c=${c}`, value: ratio, unit: "×" });
    if (c > 1)
      goals.push({
        name: `REST via gateway c=${c}`,
        ratio,
        direction: "≥",
        target: 0.6,
        formula: "REST req/s ÷ direct gRPC req/s",
      });
    rows.push({
      subject: "Connect via gateway ÷ gRPC direct",
      load: `closed c=${c}`,
      value: pairedRatio(of(connect, c), of(grpc, c)),
      unit: "×",
    });
    rows.push({
      subject: "connect-node direct ÷ gRPC direct",
      load: `closed c=${c}`,
      value: pairedRatio(of(connectNode, c), of(grpc, c)),
      unit: "×",
    });
  }
  return {
    id: "P2",
    title: "edge (catalog GetProduct four ways)",
    rows,
    goals,
    method: [
      "A stand-in catalog (the same `getProduct` handler everywhere, answering one product) served by `createMesh({ name: \"catalog\" }).serve` with mTLS and the repository's istio/ policies, as gateway/test/edge/fakes.ts does; the real gateway (`startGateway`, workload `gateway`, per-IP/per-user rate limits and the per-client connection cap raised out of the way (every driver connects from 127.0.0.1), access log at info into /dev/null) in its own process in front of it; and connect-node (`connectNodeAdapter` on an `http2.createSecureServer` with the catalog's certificate, client certificates required) serving the same handler. Weft processes run the tracing SDK with a discarding exporter, as in P1.",
      "Calls: REST `GET /v1/products/p-1` over HTTP/1.1 keep-alive (node:http Agent); Connect `CatalogService.GetProduct` over h2c to the gateway (connect-node client); gRPC over mTLS straight to the catalog with the mesh client as workload `gateway` (what the gateway does upstream); gRPC from connect-node's gRPC transport over mTLS to the connect-node server.",
      `Two driver processes per variant (concurrency split between them), closed loop at 1/32/256, ${context.stepMs / 1000} s per round, ${context.rounds} rounds alternating order, medians; ratios are medians of per-round paired ratios. The goal is about throughput, so it is judged at c=32 and c=256; c=1 (one request at a time: the ratio of round-trip latencies, the gateway adding a hop) is shown for information.`,
    ],
    limits,
    notRun: [],
    seconds: (performance.now() - started) / 1000,
  };
}

/** How long the profiled load runs, after a warm-up that the summary leaves out. */
const profiledLoadMs = 3_000;

/**
 * One extra, separate round of REST at c=32 with `--cpu-prof` on a fresh gateway process: a
 * warm-up, then the measured load; only the load's samples are summarized (the gateway's start-up
 * — config schemas compiled by ajv, manifests, contracts, module resolution — is not per request).
 */
async function profileGateway(
  context: BenchContext,
  dirs: MeshDirs,
  catalogAddr: string,
  dir: string,
): Promise<string[]> {
  const folder = join(dir, "prof-gateway");
  const gateway = await server("p2-gateway-prof", { kind: "gateway", catalogAddr, ...dirs }, folder);
  const drivers = await startDrivers(
    "p2-rest-prof",
    { kind: "rest", baseUrl: `http://127.0.0.1:${gateway.port}`, maxSockets: 256 },
    { processes: driverProcesses, sdkTracing: false },
  );
  await drivers.closed(32, 200_000, 1_500);
  await drivers.closed(32, 1_000_000, profiledLoadMs);
  await drivers.close();
  await gateway.child.close();
  const file = profilesIn(folder)[0];
  context.log(file ? "  profiled the gateway" : "  no gateway profile written");
  if (file === undefined) return [];
  return profileMarkdown(
    "P2 gateway process serving REST at c=32",
    summarizeProfile(lastSamples(file, profiledLoadMs)),
  );
}
