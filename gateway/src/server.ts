import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { OutgoingHttpHeaders } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type { Registry } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { context } from "@opentelemetry/api";
import {
  appTokenVerifier,
  Code,
  type DynamicClient,
  dynamicBinding,
  type JwksCall,
  type Logger,
  type Mesh,
  RpcError,
  type TokenVerifier,
} from "@weft/mesh";
import { loadContracts } from "@weft/mesh/app";
import type { GatewaySettings } from "./config.ts";
import { EdgeAuthenticator } from "./edge/authenticate.ts";
import { clientAddress, clientKey } from "./edge/client-address.ts";
import { type EdgeRequest, type EdgeResponse, listenEdge, type Peer } from "./edge/connections.ts";
import { CorsPolicy } from "./edge/cors.ts";
import { EdgeLog } from "./edge/edge-log.ts";
import { type EdgeRpcSystem, type EdgeSpan, EdgeTracing, edgeContext } from "./edge/edge-span.ts";
import { EdgeRateLimits } from "./edge/rate-limit.ts";
import { createTranscodeRegistry, RestRouter } from "./index.ts";
import { connectRoutes, edgeInterceptor } from "./routes/connect.ts";
import { Readiness } from "./routes/health.ts";
import { jsonHeaders, RestHandler, type RestReply } from "./routes/rest.ts";
import { Upstreams } from "./upstreams.ts";

type Request = EdgeRequest;

/** What the edge uses of a response, common to HTTP/1.1 and HTTP/2 (whose typings do not unify). */
interface Response {
  statusCode: number;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  writeHead(status: number, headers?: OutgoingHttpHeaders): unknown;
  write(chunk: string): boolean;
  end(chunk?: string): unknown;
  on(event: "finish" | "close", listener: () => void): unknown;
  once(event: "finish" | "close" | "drain", listener: () => void): unknown;
}

export interface Gateway {
  readonly port: number;
  close(graceMs?: number): Promise<void>;
}

export interface GatewayOptions {
  /** The app's contracts; default loadContracts(mesh.app.root) (gen/weft.binpb). */
  contracts?: Registry;
}

const requestIdPattern = /^[\w.-]{1,128}$/;

/** One request as the edge handles it. */
interface Exchange {
  readonly request: Request;
  /** The response as the HTTP server made it, for the Connect handler. */
  readonly raw: EdgeResponse;
  readonly response: Response;
  /** The client, after trusted proxies. */
  readonly ip: string;
  /** The socket's peer (the client itself when no proxies are trusted). */
  readonly peer: Peer;
  readonly requestId: string;
  /** The CORS headers this request's Origin gets, if any. */
  readonly cors: OutgoingHttpHeaders | undefined;
  readonly span: EdgeSpan;
  /** Cancels the upstream call, once there is one. */
  upstream: AbortController | undefined;
}

/** The access-log line of one request. */
interface AccessLine {
  request_id: string;
  method: string | undefined;
  path: string | undefined;
  status: number;
  duration_ms: number;
  /** The client, after trusted proxies. */
  ip: string;
  /** The socket's peer, when it is a proxy and not the client. */
  peer?: string;
}

/**
 * The edge on one port: REST/JSON (transcoded), Connect, gRPC-Web and gRPC. HTTP/1.1 and
 * cleartext HTTP/2 (prior knowledge, as gRPC clients speak it) share the port: the first bytes
 * of a connection tell which server gets it.
 */
export async function startGateway(
  mesh: Mesh,
  settings: GatewaySettings,
  options: GatewayOptions = {},
): Promise<Gateway> {
  const logger = mesh.logger;
  const contracts = options.contracts ?? loadContracts(mesh.app.root);
  const upstreams = new Upstreams(mesh, contracts);
  const registry = createTranscodeRegistry(upstreams.services);
  const router = new RestRouter(upstreams.services);
  const authenticator = new EdgeAuthenticator(edgeVerifier(mesh, contracts));
  const limits = new EdgeRateLimits(settings);
  const cors = new CorsPolicy(settings.corsOrigins);
  const readiness = new Readiness(upstreams.targets, mesh.clientCredentials(), logger);
  const openapi = loadOpenApi(settings.openapiPath, logger);
  const requestIdOf = (headers: Headers) => {
    const id = headers.get("x-request-id");
    return id !== null && requestIdPattern.test(id) ? id : randomUUID();
  };
  const routeOptions = { upstreams, authenticator, limits, registry, timeoutMs: settings.timeoutMs, requestIdOf };
  const rest = new RestHandler({ ...routeOptions, router });
  const connectHandler = connectNodeAdapter({
    routes: connectRoutes(routeOptions),
    interceptors: [edgeInterceptor(routeOptions)],
    readMaxBytes: settings.maxBodyBytes,
  });

  const tracing = new EdgeTracing(upstreams.services);
  const clientAddressOptions = { trustedProxies: settings.trustedProxies, header: settings.forwardedHeader };

  /**
   * One request, start to end: its id, the access-log line and the edge span, all settled by one
   * `finish` and one `close` listener. The request runs in the context of its edge span, so the
   * upstream call is the span's child.
   */
  function accept(request: Request, raw: EdgeResponse, peer: Peer): Promise<void> {
    const response = raw as Response;
    const started = performance.now();
    // The peer's address is already normalised; without trusted proxies it is the client.
    const ip =
      settings.trustedProxies === 0
        ? peer.address
        : clientAddress(request.headers[settings.forwardedHeader], peer.address, clientAddressOptions);
    const incomingId = request.headers["x-request-id"];
    const requestId = typeof incomingId === "string" && requestIdPattern.test(incomingId) ? incomingId : randomUUID();
    request.headers["x-request-id"] = requestId;
    const target = request.url ?? "";
    const query = target.indexOf("?");
    const exchange: Exchange = {
      request,
      raw,
      response,
      ip,
      peer,
      requestId,
      cors: cors.headersFor(request.headers),
      span: tracing.start({
        method: request.method,
        path: query === -1 ? target : target.slice(0, query),
        headers: request.headers,
        httpVersion: request.httpVersion,
        clientAddress: ip,
      }),
      upstream: undefined,
    };
    let finished = false;
    // Each fires once per response: `on` spares the wrapper `once` would allocate.
    response.on("finish", () => {
      finished = true;
      exchange.span.end(response.statusCode, true);
      const line: AccessLine = {
        request_id: requestId,
        method: request.method,
        path: request.url,
        status: response.statusCode,
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
        ip,
      };
      if (ip !== peer.address) line.peer = peer.address;
      logger.info(line, "http");
    });
    // "close" also follows every finished response; only before "finish" did the client go away,
    // and only then is there an upstream call to cancel (aborting creates an exception object).
    response.on("close", () => {
      if (finished) return;
      exchange.span.end(response.statusCode, false);
      exchange.upstream?.abort();
    });
    return context.with(exchange.span.context, handle, undefined, exchange);
  }

  async function handle(exchange: Exchange): Promise<void> {
    const { request, raw, response, ip, peer, requestId } = exchange;
    // The edge's own headers (request id, CORS) go out with the status line in one writeHead:
    // each setHeader would validate and store a header of its own first.
    const out = new EdgeReplies(response, exchange);
    try {
      const target = originFormTarget(request.url);
      if (target === undefined) {
        throw new RpcError(Code.INVALID_ARGUMENT, "the request target must be a path (origin form)");
      }
      const { pathname } = target;
      if (request.method === "OPTIONS") {
        const preflight = cors.preflight(request.headers);
        response.writeHead(preflight.status, out.headers(preflight.headers));
        response.end();
        return;
      }
      if (pathname === "/healthz") return out.json(200, { status: "ok" });
      // Everything past the liveness probe counts against the client's bucket, readiness too:
      // each /readyz fans out to every upstream (Readiness shares one check among callers).
      limits.admitIp(settings.trustedProxies === 0 ? peer.key : clientKey(ip));
      if (pathname === "/readyz") {
        // Only the verdict: which upstream is down, and where it lives, is for the log.
        const ready = await readiness.ready();
        return out.json(ready ? 200 : 503, { ready });
      }
      if (pathname === "/openapi.json" && request.method === "GET") {
        if (openapi === undefined) return out.json(404, { code: 5, message: "no OpenAPI document: run make generate" });
        return out.text(200, jsonHeaders, openapi);
      }
      const length = Number(request.headers["content-length"] ?? 0);
      if (length > settings.maxBodyBytes) {
        throw new RpcError(Code.INVALID_ARGUMENT, `request body larger than ${settings.maxBodyBytes} bytes`, {
          cause: "too large",
        });
      }
      const match = router.match(request.method ?? "GET", pathname);
      if (match?.kind === "methodNotAllowed") {
        const allow = match.allowedMethods.join(", ");
        return out.send(rest.failure(new RpcError(Code.UNIMPLEMENTED, `method not allowed; use ${allow}`)), 405, {
          allow,
        });
      }
      if (match?.kind === "match") {
        exchange.span.route(match.route.pattern, match.route.method);
        const body = bodyless(request) ? undefined : await readBody(request, settings.maxBodyBytes);
        const upstream = new AbortController();
        exchange.upstream = upstream;
        const authorization = request.headers.authorization;
        return out.send(
          await rest.handle({
            match,
            query: target.query(),
            body,
            authorization,
            requestId,
            signal: upstream.signal,
          }),
        );
      }
      if (isRpcRequest(request)) {
        const rpc = tracing.rpcAt(pathname);
        if (rpc !== undefined) exchange.span.route(pathname, rpc, rpcSystemOf(request));
        // The Connect handler writes its own head: the edge's headers are set on the response first.
        out.preset();
        // The edge interceptor, inside the Connect handler, records the call's code on the span.
        context.with(edgeContext(exchange.span), connectHandler, undefined, request, raw);
        return;
      }
      return out.send(rest.failure(new RpcError(Code.NOT_FOUND, `no route for ${request.method} ${pathname}`)));
    } catch (error) {
      if (error instanceof BodyTooLarge || (error instanceof RpcError && error.cause === "too large")) {
        return out.send(
          rest.failure(new RpcError(Code.INVALID_ARGUMENT, `request body larger than ${settings.maxBodyBytes} bytes`)),
          413,
        );
      }
      const rpc = RpcError.from(error);
      if (rpc.code === Code.INTERNAL) logger.error({ err: error, request_id: requestId }, "edge failure");
      return out.send(rest.failure(rpc));
    }
  }

  const edgeLog = new EdgeLog(logger);
  const listener = await listenEdge(settings, (req, res, peer) => void accept(req, res, peer), edgeLog);
  const port = listener.port;
  logger.info({ port, upstreams: Object.fromEntries(upstreams.targets) }, "gateway listening");
  return {
    port,
    /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
    async close(graceMs = 5_000) {
      await listener.close(graceMs);
      limits.close();
    },
  };
}

/** The app's token verifier (weft.app.yaml `edge.auth`), its JWKS RPC called over the mesh. */
function edgeVerifier(mesh: Mesh, contracts: Registry): TokenVerifier | undefined {
  const clients = new Map<string, DynamicClient>();
  const call: JwksCall = async (method, request) => {
    let client = clients.get(method.parent.typeName);
    if (client === undefined) {
      client = mesh.connect(dynamicBinding(method.parent));
      clients.set(method.parent.typeName, client);
    }
    return (await client[method.localName]!(request)) as Awaited<ReturnType<JwksCall>>;
  };
  return appTokenVerifier({ auth: mesh.app.manifest.edge.auth, contracts: () => contracts, call, logger: mesh.logger });
}

/** A request target's path (still percent-encoded) and, on demand, its query. */
interface OriginFormTarget {
  readonly pathname: string;
  query(): URLSearchParams;
}

/** The query of every target without one; never written to (the REST decoder only reads it). */
const noQuery = new URLSearchParams();
const emptyQuery = () => noQuery;

/**
 * A plain path (no query, no dot segments, nothing WHATWG URL would percent-encode or rewrite):
 * what the URL parser would return for it is the path itself, so it is taken as it is.
 */
const plainPath = /^\/[\w\-~!$&'()*+,;=:@/%]*$/;

/**
 * The request target as a path on this host. Only the origin form (`/path?query`) is served; it is
 * appended to a fixed origin rather than resolved against it, so `//host/…` stays a path and cannot
 * name another host, and a target URL refuses (`//%00`) is a 400, not an exception.
 */
function originFormTarget(target: string | undefined): OriginFormTarget | undefined {
  if (target === undefined) return undefined;
  if (plainPath.test(target)) return { pathname: target, query: emptyQuery };
  const url = originFormUrl(target);
  return url === undefined ? undefined : { pathname: url.pathname, query: () => url.searchParams };
}

function originFormUrl(target: string): URL | undefined {
  try {
    // The absolute form (`http://host/path`, which servers must accept) names its own path.
    const path = /^https?:\/\//i.test(target) ? (({ pathname, search }) => pathname + search)(new URL(target)) : target;
    return path.startsWith("/") ? new URL(`http://edge${path}`) : undefined;
  } catch {
    return undefined;
  }
}

/** Connect, gRPC and gRPC-Web requests: POST (or Connect GET) with their content types. */
function isRpcRequest(request: Request): boolean {
  const type = request.headers["content-type"] ?? "";
  return (
    /^application\/(grpc|grpc-web|connect\+|proto|json)/.test(type) || request.url?.includes("?connect=v1") === true
  );
}

/** gRPC and gRPC-Web are both OTel's "grpc"; everything else the RPC handler serves is Connect. */
function rpcSystemOf(request: Request): EdgeRpcSystem {
  return (request.headers["content-type"] ?? "").startsWith("application/grpc") ? "grpc" : "connect_rpc";
}

class BodyTooLarge extends Error {}

/** The request body; call it only when `bodyless` says there may be one. */
async function readBody(request: Request, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return size === 0 ? undefined : Buffer.concat(chunks).toString("utf8");
}

/**
 * Whether the request's headers already say there is no body. Most requests (every GET) have
 * none: no stream iterator (and its listeners), and no promise to wait on, for those.
 */
function bodyless(request: Request): boolean {
  if (request.httpVersionMajor >= 2) return (request as Http2ServerRequest).stream.endAfterHeaders;
  const { headers } = request;
  return (
    headers["transfer-encoding"] === undefined &&
    (headers["content-length"] === undefined || headers["content-length"] === "0")
  );
}

/**
 * Writes an exchange's answers with the edge's headers (request id, CORS) merged into the head,
 * so a JSON answer leaves as one write: status line, headers and body (with its Content-Length).
 */
class EdgeReplies {
  constructor(
    private readonly response: Response,
    private readonly exchange: Pick<Exchange, "requestId" | "cors">,
  ) {}

  /** `base` (the reply's own headers) with the edge's. */
  headers(base: OutgoingHttpHeaders): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = { ...base, "x-request-id": this.exchange.requestId };
    return this.exchange.cors === undefined ? headers : Object.assign(headers, this.exchange.cors);
  }

  /** For a handler that writes its own head: the edge's headers set on the response beforehand. */
  preset(): void {
    for (const [name, value] of Object.entries(this.headers({}))) {
      if (value !== undefined) this.response.setHeader(name, value);
    }
  }

  json(status: number, body: unknown): void {
    this.text(status, jsonHeaders, JSON.stringify(body));
  }

  /**
   * `headers` must name the content type. The length goes into the head: written before the body
   * is known, a head without one would announce chunked encoding (a chunk, then a last chunk).
   */
  text(status: number, headers: OutgoingHttpHeaders, body: string): void {
    const head = this.headers(headers);
    head["content-length"] = Buffer.byteLength(body);
    this.response.writeHead(status, head);
    this.response.end(body);
  }

  /** A REST reply; `extra` headers (405's Allow) join the reply's. */
  async send(reply: RestReply, statusOverride?: number, extra?: OutgoingHttpHeaders): Promise<void> {
    const status = statusOverride ?? reply.status;
    const headers = extra === undefined ? reply.headers : { ...reply.headers, ...extra };
    if ("json" in reply) return this.text(status, headers, JSON.stringify(reply.json));
    const response = this.response;
    let closed = false;
    response.once("close", () => {
      closed = true;
    });
    response.writeHead(status, this.headers(headers));
    for await (const line of reply.lines) {
      // A cut connection (write timeout, client gone) never drains: leaving the loop ends the
      // upstream stream too.
      if (closed || (!response.write(line) && !(await drained(response)))) return;
    }
    response.end();
  }
}

/** Resolves true when the response can take more, false when it closed first. */
function drained(response: Response): Promise<boolean> {
  return new Promise((resolve) => {
    response.once("drain", () => resolve(true));
    response.once("close", () => resolve(false));
  });
}

function loadOpenApi(path: string, logger: Logger): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    logger.warn({ path }, "no OpenAPI document to serve; run make generate");
    return undefined;
  }
}
