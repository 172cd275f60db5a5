import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  createServer as createHttp1Server,
  type Server as Http1Server,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import {
  createServer as createHttp2Server,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from "node:http2";
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from "node:net";
import { Duplex } from "node:stream";
import type { Registry } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
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
import { CorsPolicy } from "./edge/cors.ts";
import { EdgeRateLimits } from "./edge/rate-limit.ts";
import { createTranscodeRegistry, RestRouter } from "./index.ts";
import { connectRoutes, edgeInterceptor } from "./routes/connect.ts";
import { Readiness } from "./routes/health.ts";
import { RestHandler, type RestReply } from "./routes/rest.ts";
import { Upstreams } from "./upstreams.ts";

type Request = IncomingMessage | Http2ServerRequest;

/** What the edge uses of a response, common to HTTP/1.1 and HTTP/2 (whose typings do not unify). */
interface Response {
  statusCode: number;
  setHeader(name: string, value: string | number | readonly string[]): unknown;
  writeHead(status: number, headers?: OutgoingHttpHeaders): unknown;
  write(chunk: string): boolean;
  end(chunk?: string): unknown;
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
  const readiness = new Readiness(upstreams.targets, mesh.clientCredentials());
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

  async function handle(request: Request, raw: ServerResponse | Http2ServerResponse): Promise<void> {
    const response = raw as Response;
    const started = performance.now();
    const incomingId = request.headers["x-request-id"];
    const requestId = typeof incomingId === "string" && requestIdPattern.test(incomingId) ? incomingId : randomUUID();
    request.headers["x-request-id"] = requestId;
    response.setHeader("x-request-id", requestId);
    for (const [name, value] of Object.entries(cors.headersFor(request.headers))) {
      if (value !== undefined) response.setHeader(name, value);
    }
    const ip = request.socket.remoteAddress ?? "unknown";
    response.once("finish", () =>
      logger.info(
        {
          request_id: requestId,
          method: request.method,
          path: request.url,
          status: response.statusCode,
          duration_ms: Math.round((performance.now() - started) * 100) / 100,
          ip,
        },
        "http",
      ),
    );
    try {
      const url = new URL(request.url ?? "/", "http://edge");
      if (request.method === "OPTIONS") {
        const preflight = cors.preflight(request.headers);
        response.writeHead(preflight.status, preflight.headers);
        response.end();
        return;
      }
      if (url.pathname === "/healthz") return sendJson(response, 200, { status: "ok" });
      if (url.pathname === "/readyz") {
        const { ready, upstreams: status } = await readiness.check();
        return sendJson(response, ready ? 200 : 503, { ready, upstreams: status });
      }
      if (url.pathname === "/openapi.json" && request.method === "GET") {
        if (openapi === undefined)
          return sendJson(response, 404, { code: 5, message: "no OpenAPI document: run make generate" });
        response.writeHead(200, { "content-type": "application/json" });
        response.end(openapi);
        return;
      }
      await limits.admitIp(ip);
      const length = Number(request.headers["content-length"] ?? 0);
      if (length > settings.maxBodyBytes) {
        throw new RpcError(Code.INVALID_ARGUMENT, `request body larger than ${settings.maxBodyBytes} bytes`, {
          cause: "too large",
        });
      }
      const match = router.match(request.method ?? "GET", url.pathname);
      if (match?.kind === "methodNotAllowed") {
        response.setHeader("allow", match.allowedMethods.join(", "));
        return send(
          response,
          rest.failure(new RpcError(Code.UNIMPLEMENTED, `method not allowed; use ${match.allowedMethods.join(", ")}`)),
          405,
        );
      }
      if (match?.kind === "match") {
        const body = await readBody(request, settings.maxBodyBytes);
        const abort = new AbortController();
        response.once("close", () => abort.abort());
        const authorization = request.headers.authorization;
        return send(
          response,
          await rest.handle({ match, query: url.searchParams, body, authorization, requestId, signal: abort.signal }),
        );
      }
      if (isRpcRequest(request)) {
        connectHandler(request, raw);
        return;
      }
      return send(
        response,
        rest.failure(new RpcError(Code.NOT_FOUND, `no route for ${request.method} ${url.pathname}`)),
      );
    } catch (error) {
      if (error instanceof BodyTooLarge || (error instanceof RpcError && error.cause === "too large")) {
        return send(
          response,
          rest.failure(new RpcError(Code.INVALID_ARGUMENT, `request body larger than ${settings.maxBodyBytes} bytes`)),
          413,
        );
      }
      const rpc = RpcError.from(error);
      if (rpc.code === Code.INTERNAL) logger.error({ err: error, request_id: requestId }, "edge failure");
      return send(response, rest.failure(rpc));
    }
  }

  const http1 = createHttp1Server((req, res) => void handle(req, res));
  const http2 = createHttp2Server((req, res) => void handle(req, res));
  const sockets = new Set<Socket>();
  const sessions = new Set<ServerHttp2Session>();
  http2.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  const tcp = createTcpServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    routeConnection(socket, http1, http2);
  });
  const port = await new Promise<number>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(settings.port, settings.host, () => {
      const address = tcp.address();
      resolve(typeof address === "object" && address !== null ? address.port : settings.port);
    });
  });
  logger.info({ port, upstreams: Object.fromEntries(upstreams.targets) }, "gateway listening");
  return {
    port,
    /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
    async close(graceMs = 5_000) {
      const closed = closeServer(tcp);
      http1.closeIdleConnections();
      for (const session of sessions) session.close(); // GOAWAY: no new streams, finish the open ones
      const timer = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
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
  return appTokenVerifier({ auth: mesh.app.manifest.edge.auth, contracts: () => contracts, call });
}

/** HTTP/2 with prior knowledge starts with this preface; anything else is HTTP/1.x. */
const http2Preface = Buffer.from("PRI * HTTP/2.0");

function routeConnection(socket: Socket, http1: Http1Server, http2: Http2Server): void {
  // Small RPC frames must leave at once, not wait for Nagle's algorithm to coalesce them.
  socket.setNoDelay(true);
  socket.once("data", (first: Buffer) => {
    socket.pause();
    const prefix = first.subarray(0, Math.min(first.length, http2Preface.length));
    if (prefix.equals(http2Preface.subarray(0, prefix.length))) {
      // The HTTP/2 session reads the socket's native handle, past anything unshifted back into
      // the JS stream, so it gets a stream that replays the bytes already read.
      http2.emit("connection", new ReplayingSocket(socket, first));
    } else {
      socket.unshift(first);
      http1.emit("connection", socket);
      socket.resume();
    }
  });
  socket.on("error", () => socket.destroy());
}

/** A duplex over a socket whose first bytes were already read: it hands them out again first. */
class ReplayingSocket extends Duplex {
  constructor(
    private readonly socket: Socket,
    first: Buffer,
  ) {
    super();
    this.push(first);
    socket.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.once("end", () => this.push(null));
    socket.once("error", (error) => this.destroy(error));
    socket.once("close", () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.socket.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.socket.destroy(error ?? undefined);
    callback(error);
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }
}

/** Connect, gRPC and gRPC-Web requests: POST (or Connect GET) with their content types. */
function isRpcRequest(request: Request): boolean {
  const type = request.headers["content-type"] ?? "";
  return (
    /^application\/(grpc|grpc-web|connect\+|proto|json)/.test(type) || request.url?.includes("?connect=v1") === true
  );
}

class BodyTooLarge extends Error {}

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

async function send(response: Response, reply: RestReply, statusOverride?: number): Promise<void> {
  const status = statusOverride ?? reply.status;
  if ("json" in reply) return sendJson(response, status, reply.json, reply.headers);
  response.writeHead(status, reply.headers);
  for await (const line of reply.lines) {
    if (!response.write(line)) await new Promise<void>((resolve) => response.once("drain", () => resolve()));
  }
  response.end();
}

function sendJson(response: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

function loadOpenApi(path: string, logger: Logger): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    logger.warn({ path }, "no OpenAPI document to serve; run make generate");
    return undefined;
  }
}

function closeServer(server: TcpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
