import type { IncomingHttpHeaders } from "node:http";
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code as ConnectCode } from "@connectrpc/connect";
import {
  type Context,
  context,
  createContextKey,
  defaultTextMapGetter,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { isServerFailure } from "@weft/mesh";
import { isEdgeRpc } from "@weft/mesh/contracts";

/** What the edge tells a span about the request it serves. */
export interface EdgeSpanRequest {
  method: string | undefined;
  /** The URL path, without the query (which may carry secrets). */
  path: string;
  headers: IncomingHttpHeaders;
  /** "1.1" or "2.0", as Node reports it. */
  httpVersion: string;
  /** The client, after trusted proxies. */
  clientAddress: string;
}

/** How an RPC reached the edge, as OTel's `rpc.system` names it. */
export type EdgeRpcSystem = "grpc" | "connect_rpc";

/** The methods HTTP semantic conventions know; any other is reported as `_OTHER`. */
const knownMethods = new Set(["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "TRACE"]);

/**
 * The SERVER span of one edge request, whatever protocol it came in on (REST, Connect, gRPC-Web,
 * gRPC), named and described by OTel's HTTP server conventions — plus the RPC ones once the
 * request is known to be an RPC. It continues the caller's W3C trace context (a browser's
 * `traceparent`), and `context` is what the upstream call runs in, so the mesh's client span is
 * its child and the trace runs gateway → services.
 */
export class EdgeSpan {
  /** The context the request is handled in: the caller's, with this span active. */
  readonly context: Context;
  private readonly method: string;
  private ended = false;
  private rpcSystem: EdgeRpcSystem | undefined;
  private rpcCode: number | undefined;

  constructor(
    private readonly span: Span,
    parent: Context,
    method: string,
  ) {
    this.context = trace.setSpan(parent, span);
    this.method = method;
  }

  /**
   * The matched route (a REST template, or an RPC's path) and the RPC it reaches; `system` only
   * when the request itself is an RPC (Connect, gRPC-Web, gRPC), not a transcoded REST call.
   */
  route(route: string, rpc: DescMethod, system?: EdgeRpcSystem): void {
    if (!this.span.isRecording()) return;
    this.rpcSystem = system;
    this.span.updateName(`${this.method} ${route}`);
    this.span.setAttribute("http.route", route);
    this.span.setAttribute("rpc.service", rpc.parent.typeName);
    this.span.setAttribute("rpc.method", rpc.name);
    if (system !== undefined) this.span.setAttribute("rpc.system", system);
  }

  /**
   * The status code an RPC (Connect, gRPC-Web, gRPC) ended with, as the edge's interceptor saw it:
   * over gRPC the HTTP status is 200 whatever happened.
   */
  rpcEnded(code: number): void {
    this.rpcCode = code;
  }

  /**
   * Records the response and ends the span; later calls do nothing. `completed` false means the
   * connection closed before the response was sent. As the HTTP conventions ask, only a 5xx (or a
   * cut response) is an error on a server span — a 4xx is the edge doing its job — and for RPCs
   * only the codes that are the server's failure (the mesh's server spans use the same rule).
   */
  end(statusCode: number, completed: boolean): void {
    if (this.ended) return;
    this.ended = true;
    if (this.span.isRecording()) {
      this.span.setAttribute("http.response.status_code", statusCode);
      if (this.rpcSystem === "grpc" && this.rpcCode !== undefined) {
        this.span.setAttribute("rpc.grpc.status_code", this.rpcCode);
      } else if (this.rpcSystem === "connect_rpc" && this.rpcCode !== undefined && this.rpcCode !== 0) {
        // Connect's convention: the code's name, only on failure.
        this.span.setAttribute("rpc.connect_rpc.error_code", connectCodeName(this.rpcCode));
      }
      const errorType = !completed
        ? "aborted"
        : statusCode >= 500
          ? String(statusCode)
          : this.rpcCode !== undefined && isServerFailure(this.rpcCode)
            ? `rpc_${this.rpcCode}`
            : undefined;
      if (errorType !== undefined) {
        this.span.setAttribute("error.type", errorType);
        this.span.setStatus({ code: SpanStatusCode.ERROR });
      }
    }
    this.span.end();
  }
}

/**
 * Starts the edge's spans: reads the caller's trace context from the request headers and knows
 * which paths are the edge's RPCs (`/<service>/<method>`), so Connect and gRPC requests get the
 * RPC attributes too.
 */
export class EdgeTracing {
  private readonly tracer: Tracer = trace.getTracer("weft-gateway");
  private readonly rpcs = new Map<string, DescMethod>();

  constructor(services: readonly DescService[]) {
    for (const service of services) {
      for (const method of service.methods) if (isEdgeRpc(method)) this.rpcs.set(rpcPath(method), method);
    }
  }

  start(request: EdgeSpanRequest): EdgeSpan {
    // The root context, not the active one, so nothing active in the transport leaks into the request.
    const parent = propagation.extract(ROOT_CONTEXT, request.headers, defaultTextMapGetter);
    const upper = request.method?.toUpperCase() ?? "GET";
    const method = knownMethods.has(upper) ? upper : "_OTHER";
    // Attributes are set one by one once the span records: passed to startSpan, the SDK would
    // copy and sanitize the object (with a WeakSet and an entries array) for every request.
    const span = this.tracer.startSpan(method, { kind: SpanKind.SERVER }, parent);
    if (span.isRecording()) {
      span.setAttribute("http.request.method", method);
      if (method === "_OTHER" && request.method !== undefined) {
        span.setAttribute("http.request.method_original", request.method);
      }
      span.setAttribute("url.path", request.path);
      span.setAttribute("url.scheme", "http");
      span.setAttribute("network.protocol.version", request.httpVersion === "2.0" ? "2" : request.httpVersion);
      span.setAttribute("client.address", request.clientAddress);
      const userAgent = request.headers["user-agent"];
      if (userAgent !== undefined) span.setAttribute("user_agent.original", userAgent);
    }
    return new EdgeSpan(span, parent, method);
  }

  /** The edge RPC a Connect/gRPC path names, if any. */
  rpcAt(path: string): DescMethod | undefined {
    return this.rpcs.get(path);
  }
}

/** The span of the RPC being handled, for code that runs inside `edgeContext`. */
export function activeEdgeSpan(): EdgeSpan | undefined {
  return context.active().getValue(edgeSpanKey) as EdgeSpan | undefined;
}

/** The context an RPC (Connect, gRPC-Web, gRPC) is handled in: carries its EdgeSpan for `activeEdgeSpan`. */
export function edgeContext(edgeSpan: EdgeSpan): Context {
  return edgeSpan.context.setValue(edgeSpanKey, edgeSpan);
}

const edgeSpanKey = createContextKey("weft.gateway.edge-span");

/** "InvalidArgument" → "invalid_argument", as Connect writes codes on the wire. */
function connectCodeName(code: number): string {
  const name = ConnectCode[code] ?? "Unknown";
  return name.replace(/[A-Z]/g, (letter, at: number) => (at === 0 ? "" : "_") + letter.toLowerCase());
}

function rpcPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}
