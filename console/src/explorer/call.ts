// Calls any RPC of the app from the console, as a person would try it: through the edge (Connect
// over HTTP, with a bearer token from signing in) or straight to the service over mTLS as a chosen
// workload identity, so a policy can be tried from the page. Each call starts a trace of its own
// (the console sends the traceparent), so the response links to its trace.
import { randomBytes } from "node:crypto";
import {
  type DescMessage,
  type DescMethod,
  type FileRegistry,
  fromBinary,
  fromJson,
  type JsonValue,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import { type ChannelCredentials, Client, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import type { SpanRecord } from "../otlp/model.ts";
import { findMethod } from "./descriptors.ts";

export interface CallRequest {
  path: string;
  /** The request as proto3 JSON. */
  body: unknown;
  via: "edge" | "mesh";
  /** Bearer token for edge calls. */
  token?: string;
  /** The workload to call as (mesh calls), e.g. "orders". */
  identity?: string;
  timeoutMs?: number;
}

export interface CallResult {
  ok: boolean;
  /** gRPC status code name ("OK", "PERMISSION_DENIED"). */
  code: string;
  message: string;
  /** Unary response as proto3 JSON. */
  response?: unknown;
  /** Server-streaming responses. */
  messages?: unknown[];
  /** google.rpc.Status details, decoded. */
  details?: unknown[];
  httpStatus?: number;
  traceId: string;
  durationMs: number;
}

export interface ExplorerOptions {
  registry: FileRegistry;
  gatewayUrl: () => string | undefined;
  /** gRPC target of the workload implementing a proto service. */
  targetOf: (protoService: string) => string | undefined;
  /** mTLS credentials presenting the identity of `workload`. */
  credentialsFor: (workload: string) => Promise<ChannelCredentials>;
  /** Where the call's own client span goes (the console's store), so the trace has its root. */
  recordSpan: (span: SpanRecord) => void;
}

/** Streams stop after this many messages, so a watch does not hold the request open forever. */
const maxStreamMessages = 50;

export class CallError extends Error {}

export class Explorer {
  constructor(private readonly options: ExplorerOptions) {}

  async call(request: CallRequest): Promise<CallResult> {
    const method = findMethod(this.options.registry, request.path);
    if (!method) throw new CallError(`no RPC ${request.path} in the descriptors`);
    if (method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming") {
      throw new CallError(
        `${request.path} is ${method.methodKind.replace("_", " ")}: the explorer calls unary and server-streaming RPCs`,
      );
    }
    let input: ReturnType<typeof fromJson<typeof method.input>>;
    try {
      input = fromJson(method.input, (request.body ?? {}) as JsonValue, { registry: this.options.registry });
    } catch (error) {
      throw new CallError(
        `request is not a valid ${method.input.typeName}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const traceId = randomBytes(16).toString("hex");
    const spanId = randomBytes(8).toString("hex");
    const started = Date.now();
    const t0 = performance.now();
    const timeoutMs = Math.min(Math.max(request.timeoutMs ?? 10_000, 1), 60_000);
    const result =
      request.via === "edge"
        ? await this.#edge(
            method,
            toJson(method.input, input, { registry: this.options.registry }),
            request.token,
            traceId,
            spanId,
            timeoutMs,
          )
        : await this.#mesh(method, toBinary(method.input, input), request.identity, traceId, spanId, timeoutMs);
    const durationMs = performance.now() - t0;
    this.options.recordSpan({
      traceId,
      spanId,
      parentSpanId: undefined,
      name: `${method.parent.typeName}/${method.name}`,
      kind: "client",
      service: "weft-console",
      startMs: started,
      durationMs,
      status: result.ok ? "unset" : "error",
      statusMessage: result.ok ? "" : result.message,
      attributes:
        request.via === "edge"
          ? {
              "weft.console.via": "edge",
              "http.request.method": "POST",
              "url.path": request.path,
              "http.response.status_code": result.httpStatus ?? 0,
            }
          : {
              "weft.console.via": "mesh",
              "weft.console.identity": request.identity ?? "",
              "rpc.system": "grpc",
              "rpc.service": method.parent.typeName,
              "rpc.method": method.name,
              "rpc.grpc.status_code": status[result.code as keyof typeof status] ?? 2,
            },
      events: [],
      links: [],
      scope: "weft-console",
    });
    return { ...result, traceId, durationMs };
  }

  async #edge(
    method: DescMethod,
    json: JsonValue,
    token: string | undefined,
    traceId: string,
    spanId: string,
    timeoutMs: number,
  ): Promise<Omit<CallResult, "traceId" | "durationMs">> {
    const base = this.options.gatewayUrl();
    if (!base) throw new CallError("the edge is not running (no gateway URL)");
    const streaming = method.methodKind === "server_streaming";
    const headers: Record<string, string> = {
      "content-type": streaming ? "application/connect+json" : "application/json",
      "connect-protocol-version": "1",
      "connect-timeout-ms": String(timeoutMs),
      traceparent: `00-${traceId}-${spanId}-01`,
    };
    if (token) headers.authorization = `Bearer ${token}`;
    const body = JSON.stringify(json);
    const response = await fetch(`${base}/${method.parent.typeName}/${method.name}`, {
      method: "POST",
      headers,
      body: streaming ? envelope(body) : body,
      signal: AbortSignal.timeout(timeoutMs + 1_000),
    }).catch((error: unknown) => {
      throw new CallError(
        `could not reach the edge at ${base}: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    if (!streaming) {
      const text = await response.text();
      const parsed = parseJson(text);
      if (response.ok) return { ok: true, code: "OK", message: "", response: parsed, httpStatus: response.status };
      const error = (parsed ?? {}) as { code?: string; message?: string; details?: unknown[] };
      return {
        ok: false,
        code: (error.code ?? "unknown").toUpperCase(),
        message: error.message ?? text.slice(0, 500),
        details: error.details,
        httpStatus: response.status,
      };
    }
    const frames = unenvelope(new Uint8Array(await response.arrayBuffer()));
    const messages: unknown[] = [];
    let end: { error?: { code?: string; message?: string; details?: unknown[] } } = {};
    for (const frame of frames) {
      if (frame.end) end = (parseJson(frame.text) ?? {}) as typeof end;
      else if (messages.length < maxStreamMessages) messages.push(parseJson(frame.text));
    }
    if (!response.ok || end.error) {
      return {
        ok: false,
        code: (end.error?.code ?? "unknown").toUpperCase(),
        message: end.error?.message ?? `HTTP ${response.status}`,
        details: end.error?.details,
        messages,
        httpStatus: response.status,
      };
    }
    return { ok: true, code: "OK", message: "", messages, httpStatus: response.status };
  }

  async #mesh(
    method: DescMethod,
    bytes: Uint8Array,
    identity: string | undefined,
    traceId: string,
    spanId: string,
    timeoutMs: number,
  ): Promise<Omit<CallResult, "traceId" | "durationMs">> {
    if (!identity) throw new CallError("choose the workload identity to call as");
    const target = this.options.targetOf(method.parent.typeName);
    if (!target) throw new CallError(`no running workload implements ${method.parent.typeName}`);
    const credentials = await this.options.credentialsFor(identity);
    const client = new Client(target, credentials);
    const metadata = new Metadata();
    metadata.set("traceparent", `00-${traceId}-${spanId}-01`);
    const deadline = Date.now() + timeoutMs;
    const path = `/${method.parent.typeName}/${method.name}`;
    const serialize = (value: Uint8Array) => Buffer.from(value);
    const deserialize = (value: Buffer) => new Uint8Array(value);
    const decode = (value: Uint8Array) => this.#json(method.output, value);
    try {
      if (method.methodKind === "unary") {
        const reply = await new Promise<Uint8Array>((resolve, reject) =>
          client.makeUnaryRequest(path, serialize, deserialize, bytes, metadata, { deadline }, (error, value) =>
            error ? reject(error) : resolve(value!),
          ),
        );
        return { ok: true, code: "OK", message: "", response: decode(reply) };
      }
      const messages: unknown[] = [];
      const stream = client.makeServerStreamRequest(path, serialize, deserialize, bytes, metadata, { deadline });
      try {
        for await (const value of stream as AsyncIterable<Uint8Array>) {
          messages.push(decode(value));
          if (messages.length >= maxStreamMessages) {
            stream.cancel();
            break;
          }
        }
      } catch (error) {
        const failure = this.#failure(error);
        // A watch that ran until the deadline with messages is a success, as far as trying it goes.
        if (failure.code === "DEADLINE_EXCEEDED" && messages.length > 0)
          return { ok: true, code: "OK", message: "", messages };
        return { ...failure, messages };
      }
      return { ok: true, code: "OK", message: "", messages };
    } catch (error) {
      return this.#failure(error);
    } finally {
      client.close();
    }
  }

  #json(schema: DescMessage, bytes: Uint8Array): unknown {
    return toJson(schema, fromBinary(schema, bytes), { registry: this.options.registry });
  }

  #failure(error: unknown): Omit<CallResult, "traceId" | "durationMs"> {
    const e = error as Partial<ServiceError>;
    const code = status[e.code ?? status.UNKNOWN] ?? "UNKNOWN";
    const detailsBin = e.metadata?.get("grpc-status-details-bin")[0];
    let details: unknown[] | undefined;
    const statusSchema = this.options.registry.getMessage("google.rpc.Status");
    if (detailsBin instanceof Buffer && statusSchema) {
      try {
        const decoded = toJson(statusSchema, fromBinary(statusSchema, detailsBin), {
          registry: this.options.registry,
        }) as {
          details?: unknown[];
        };
        details = decoded.details;
      } catch {
        details = undefined;
      }
    }
    return { ok: false, code, message: e.details ?? (error instanceof Error ? error.message : String(error)), details };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One Connect streaming frame: a flags byte, a 4-byte big-endian length, the message. */
function envelope(json: string): Uint8Array<ArrayBuffer> {
  const data = new TextEncoder().encode(json);
  const frame = new Uint8Array(5 + data.length);
  new DataView(frame.buffer).setUint32(1, data.length);
  frame.set(data, 5);
  return frame;
}

function unenvelope(bytes: Uint8Array): Array<{ end: boolean; text: string }> {
  const frames: Array<{ end: boolean; text: string }> = [];
  const buffer = Buffer.from(bytes);
  let offset = 0;
  while (offset + 5 <= buffer.length) {
    const flags = buffer[offset]!;
    const length = buffer.readUInt32BE(offset + 1);
    frames.push({ end: (flags & 0x02) !== 0, text: buffer.subarray(offset + 5, offset + 5 + length).toString("utf8") });
    offset += 5 + length;
  }
  return frames;
}
