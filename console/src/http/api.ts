// The console's JSON API: what the web UI (and `weft traces|authz|events` against a running
// console) reads. Plain JSON over HTTP rather than Connect: the data is dynamically shaped
// (span attributes, any RPC's request and response as proto3 JSON), the only clients are the
// console's own bundle and CLI, live updates are server-sent events, and a console proto API would
// put the console's contracts into the app's own generated code and buf module.
import type { FileRegistry } from "@bufbuild/protobuf";
import { type ConsoleApp, gatewayWorkload } from "../app.ts";
import type { ConsoleTargets } from "../console.ts";
import type { JetStreamView } from "../events/jetstream.ts";
import { NotFoundError } from "../events/jetstream.ts";
import { CallError, type CallRequest, type Explorer } from "../explorer/call.ts";
import { listRpcs, messageSchemas } from "../explorer/descriptors.ts";
import type { LiveFeed } from "../live.ts";
import { type LogLevel, logLevels } from "../logs/parse.ts";
import type { OtlpReceiver } from "../otlp/receiver.ts";
import { grantSuggestion, policyMatrix } from "../policy/matrix.ts";
import { sagaTimeline } from "../sagas/timeline.ts";
import type { ConsoleStore, StoredDecision } from "../store/store.ts";
import { buildTopology, type HealthState } from "../topology/graph.ts";
import { assembleTrace } from "../traces/assemble.ts";
import type { RedWindows } from "../traffic/windows.ts";

export interface ApiContext {
  store: ConsoleStore;
  live: LiveFeed;
  traffic: RedWindows;
  health: ReadonlyMap<string, HealthState>;
  targets: ConsoleTargets;
  registry: FileRegistry | undefined;
  explorer: Explorer | undefined;
  events: () => JetStreamView | undefined;
  otlp: OtlpReceiver;
  identityEnabled: boolean;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: () => Promise<unknown>;
}

type Handler = (ctx: ApiContext, request: ApiRequest, params: string[]) => unknown | Promise<unknown>;

const routes: Array<[method: string, pattern: RegExp, handler: Handler]> = [
  ["GET", /^\/api\/overview$/, overview],
  ["GET", /^\/api\/topology$/, topology],
  ["GET", /^\/api\/traffic$/, trafficView],
  ["GET", /^\/api\/traces$/, (ctx, r) => ctx.store.traces(traceQuery(r.query))],
  ["GET", /^\/api\/traces\/([0-9a-f]{32})$/, traceView],
  ["GET", /^\/api\/logs$/, (ctx, r) => ctx.store.logs(logQuery(r.query))],
  ["GET", /^\/api\/decisions$/, (ctx, r) => decisionsView(ctx, r.query)],
  ["GET", /^\/api\/policy$/, policyView],
  ["GET", /^\/api\/events$/, eventsView],
  ["GET", /^\/api\/events\/dead-letters$/, (ctx, r) => bus(ctx).deadLetters(integer(r.query, "limit", 100, 1, 1000))],
  ["POST", /^\/api\/events\/dead-letters\/(\d+)\/redrive$/, redrive],
  ["GET", /^\/api\/sagas$/, (ctx, r) => ctx.store.recentSagas(integer(r.query, "limit", 50, 1, 500))],
  ["GET", /^\/api\/sagas\/([^/]+)$/, (ctx, _r, [id]) => sagaView(ctx, decodeURIComponent(id!))],
  ["GET", /^\/api\/rpcs$/, rpcsView],
  ["GET", /^\/api\/schemas\/([A-Za-z0-9_.]+)$/, (ctx, _r, [type]) => messageSchemas(descriptors(ctx), type!)],
  ["POST", /^\/api\/call$/, call],
];

export async function handleApi(ctx: ApiContext, request: ApiRequest): Promise<unknown> {
  for (const [method, pattern, handler] of routes) {
    const match = pattern.exec(request.path);
    if (!match) continue;
    if (request.method !== method) throw new HttpError(405, `${request.path} takes ${method}`);
    return handler(ctx, request, match.slice(1));
  }
  throw new HttpError(404, `no API at ${request.path}`);
}

function overview(ctx: ApiContext) {
  const app = ctx.targets.app;
  return {
    app: app
      ? { name: app.manifest.name, namespace: app.manifest.namespace, trustDomain: app.manifest.trustDomain }
      : undefined,
    services: app?.services.map((s) => s.name) ?? [],
    health: Object.fromEntries(ctx.health),
    gatewayUrl: ctx.targets.gatewayUrl,
    natsUrl: ctx.targets.natsUrl,
    otlp: { http: ctx.otlp.httpEndpoint, grpcPort: ctx.otlp.grpcPort },
    counts: ctx.store.counts(),
    explorer: { descriptors: ctx.registry !== undefined, mtls: ctx.identityEnabled },
    identities: identities(app),
  };
}

function identities(app: ConsoleApp | undefined): string[] {
  return [gatewayWorkload, ...(app?.services.map((s) => s.name) ?? [])];
}

function windowOf(query: URLSearchParams): number {
  return integer(query, "windowMs", 300_000, 5_000, 600_000);
}

function recentDecisions(ctx: ApiContext, windowMs: number): StoredDecision[] {
  const since = Date.now() - windowMs;
  return ctx.store.decisions({ limit: 5_000 }).filter((d) => d.timeMs >= since);
}

function topology(ctx: ApiContext, request: ApiRequest) {
  const windowMs = integer(request.query, "windowMs", 60_000, 5_000, 600_000);
  const observed = ctx.traffic
    .keys()
    .filter((k) => k.startsWith("call|"))
    .map((k) => k.split("|").slice(1) as [string, string]);
  return buildTopology({
    app: ctx.targets.app,
    grants: ctx.targets.grants ?? [],
    health: ctx.health,
    traffic: (key) => ctx.traffic.summary(key, windowMs),
    decisions: recentDecisions(ctx, windowMs),
    observedCalls: observed,
  });
}

function trafficView(ctx: ApiContext, request: ApiRequest) {
  const windowMs = windowOf(request.query);
  const methods = ctx.traffic
    .keys()
    .filter((k) => k.startsWith("method|"))
    .map((key) => {
      const [, service = "", method = ""] = key.split("|");
      return { service, method, ...ctx.traffic.summary(key, windowMs) };
    })
    .sort((a, b) => a.service.localeCompare(b.service) || a.method.localeCompare(b.method));
  return { bucketMs: ctx.traffic.bucketMs, windowMs, methods };
}

function traceView(ctx: ApiContext, _request: ApiRequest, [traceId]: string[]) {
  const spans = ctx.store.trace(traceId!);
  if (spans.length === 0) throw new HttpError(404, `no trace ${traceId} (not received, or pruned)`);
  return { ...assembleTrace(spans), logs: ctx.store.logs({ traceId: traceId!, limit: 500 }) };
}

function decisionsView(ctx: ApiContext, query: URLSearchParams) {
  const decision = query.get("decision");
  if (decision !== null && decision !== "allow" && decision !== "deny")
    throw new HttpError(400, "decision must be allow or deny");
  const decisions = ctx.store.decisions({
    limit: integer(query, "limit", 200, 1, 5_000),
    afterId: optionalInteger(query, "afterId"),
    decision: decision ?? undefined,
    workload: query.get("workload") ?? undefined,
  });
  return decisions.map((d) => withSuggestion(ctx, d));
}

export function withSuggestion(ctx: ApiContext, d: StoredDecision) {
  return d.decision === "deny"
    ? { ...d, suggestion: grantSuggestion(ctx.targets.app, ctx.targets.grants ?? [], d) }
    : d;
}

function policyView(ctx: ApiContext, request: ApiRequest) {
  return policyMatrix(ctx.targets.app, ctx.targets.grants ?? [], recentDecisions(ctx, windowOf(request.query)));
}

function bus(ctx: ApiContext): JetStreamView {
  const view = ctx.events();
  if (!view) throw new HttpError(503, "the console was not told where NATS is");
  return view;
}

async function eventsView(ctx: ApiContext) {
  const view = bus(ctx);
  return { streams: await view.streams(), deadLetters: await view.deadLetters(100) };
}

async function redrive(ctx: ApiContext, _request: ApiRequest, [seq]: string[]) {
  try {
    const result = await bus(ctx).redrive(Number(seq));
    ctx.live.publish("events", { redriven: Number(seq) });
    return result;
  } catch (error) {
    if (error instanceof NotFoundError) throw new HttpError(404, error.message);
    throw error;
  }
}

function sagaView(ctx: ApiContext, id: string) {
  const timeline = sagaTimeline(id, ctx.store.sagaSpans(id));
  // Traces that mention the id without saga attributes (the request that started it, say).
  const related = ctx.store.traces({ text: id, limit: 20 });
  return { ...timeline, related };
}

function descriptors(ctx: ApiContext): FileRegistry {
  if (!ctx.registry)
    throw new HttpError(503, "the console was started without descriptors (gen/weft.binpb): run weft generate");
  return ctx.registry;
}

function rpcsView(ctx: ApiContext) {
  return {
    rpcs: listRpcs(descriptors(ctx), ctx.targets.app),
    identities: identities(ctx.targets.app),
    gatewayUrl: ctx.targets.gatewayUrl,
  };
}

async function call(ctx: ApiContext, request: ApiRequest) {
  if (!ctx.explorer) throw new HttpError(503, "the console was started without descriptors (gen/weft.binpb)");
  const body = (await request.body()) as Partial<CallRequest> | undefined;
  if (typeof body !== "object" || body === null) throw new HttpError(400, "send a JSON object");
  if (typeof body.path !== "string")
    throw new HttpError(400, "path: required, e.g. /shop.orders.v1.OrderService/GetOrder");
  if (body.via !== "edge" && body.via !== "mesh") throw new HttpError(400, "via: edge or mesh");
  if (body.token !== undefined && typeof body.token !== "string") throw new HttpError(400, "token: a string");
  if (body.identity !== undefined && typeof body.identity !== "string")
    throw new HttpError(400, "identity: a workload name");
  try {
    return await ctx.explorer.call(body as CallRequest);
  } catch (error) {
    if (error instanceof CallError) throw new HttpError(400, error.message);
    throw error;
  }
}

// ---- query parameters ----

function traceQuery(query: URLSearchParams) {
  return {
    limit: integer(query, "limit", 100, 1, 1_000),
    service: query.get("service") ?? undefined,
    errorsOnly: query.get("errors") === "true",
    text: query.get("text") ?? undefined,
    beforeMs: optionalInteger(query, "beforeMs"),
  };
}

function logQuery(query: URLSearchParams) {
  const level = query.get("level");
  if (level !== null && !(logLevels as readonly string[]).includes(level)) {
    throw new HttpError(400, `level must be one of ${logLevels.join(", ")}`);
  }
  const traceId = query.get("traceId");
  if (traceId !== null && !/^[0-9a-f]{32}$/.test(traceId)) throw new HttpError(400, "traceId must be 32 hex digits");
  return {
    limit: integer(query, "limit", 500, 1, 5_000),
    afterId: optionalInteger(query, "afterId"),
    beforeId: optionalInteger(query, "beforeId"),
    minLevel: (level ?? undefined) as LogLevel | undefined,
    process: query.get("process") ?? undefined,
    traceId: traceId ?? undefined,
    text: query.get("text") ?? undefined,
  };
}

function integer(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const value = optionalInteger(query, name);
  if (value === undefined) return fallback;
  if (value < min || value > max) throw new HttpError(400, `${name} must be from ${min} to ${max}`);
  return value;
}

function optionalInteger(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new HttpError(400, `${name} must be an integer`);
  return value;
}
