// The OTLP trace receiver the launcher runs for every process it starts: OTLP/HTTP (protobuf and
// JSON, optionally gzip) on the standard 4318 and OTLP/gRPC on 4317, or free ports when those are
// taken (another collector, a second `weft dev`). Only traces: the mesh exports nothing else.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";
import {
  Server as GrpcServer,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
} from "@grpc/grpc-js";
import { listenPreferring } from "../http/listen.ts";
import { decodeTraceRequestJson, OtlpJsonError } from "./decode-json.ts";
import { decodeTraceRequest } from "./decode-protobuf.ts";
import type { SpanRecord } from "./model.ts";

export type SpanSink = (spans: SpanRecord[]) => void;

export interface OtlpReceiverOptions {
  host?: string;
  /** OTLP/HTTP port; 4318 by default, a free one when taken. 0: always a free one. */
  httpPort?: number;
  /** OTLP/gRPC port; 4317 by default, a free one when taken. 0: a free one; -1: no gRPC receiver. */
  grpcPort?: number;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
}

export interface OtlpReceiver {
  readonly host: string;
  readonly httpPort: number;
  /** Undefined when the gRPC receiver is off. */
  readonly grpcPort: number | undefined;
  /** The base URL exporters are given as OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly httpEndpoint: string;
  close(): Promise<void>;
}

const tracePath = "/v1/traces";
const grpcExportPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

export async function startOtlpReceiver(sink: SpanSink, options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const host = options.host ?? "127.0.0.1";
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const http = createServer((request, response) => {
    handleHttp(request, response, sink, maxBodyBytes).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  const httpPort = await listenPreferring(http, host, options.httpPort ?? 4318);
  const grpc = (options.grpcPort ?? 4317) >= 0 ? await startGrpc(sink, host, options.grpcPort ?? 4317) : undefined;
  return {
    host,
    httpPort,
    grpcPort: grpc?.port,
    httpEndpoint: `http://${host}:${httpPort}`,
    async close() {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      if (grpc) await new Promise<void>((resolve) => grpc.server.tryShutdown(() => resolve()));
    },
  };
}

async function handleHttp(
  request: IncomingMessage,
  response: ServerResponse,
  sink: SpanSink,
  maxBodyBytes: number,
): Promise<void> {
  const path = new URL(request.url ?? "/", "http://otlp.invalid").pathname;
  if (path !== tracePath) return void response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  if (request.method !== "POST") return void response.writeHead(405, { allow: "POST" }).end();
  let body = await readBody(request, maxBodyBytes);
  if (body === undefined) return void response.writeHead(413).end();
  if (request.headers["content-encoding"] === "gzip") body = gunzipSync(body);
  const json = (request.headers["content-type"] ?? "").startsWith("application/json");
  let spans: SpanRecord[];
  try {
    spans = json ? decodeTraceRequestJson(JSON.parse(body.toString("utf8"))) : decodeTraceRequest(body);
  } catch (error) {
    // OTLP says 400 for a request that cannot be decoded, so the exporter does not retry it.
    const message = error instanceof OtlpJsonError || error instanceof Error ? error.message : "bad request";
    response.writeHead(400, { "content-type": "text/plain" }).end(`${message}\n`);
    return;
  }
  sink(spans);
  // An empty ExportTraceServiceResponse: full success.
  if (json) response.writeHead(200, { "content-type": "application/json" }).end("{}");
  else response.writeHead(200, { "content-type": "application/x-protobuf" }).end();
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function startGrpc(sink: SpanSink, host: string, port: number): Promise<{ server: GrpcServer; port: number }> {
  const server = new GrpcServer();
  // The request is decoded by our own decoder, so the service is declared by hand: one unary
  // method whose (de)serializers are the OTLP codec, no proto loading needed.
  server.addService(
    {
      Export: {
        path: grpcExportPath,
        requestStream: false,
        responseStream: false,
        requestDeserialize: (bytes: Buffer) => bytes,
        requestSerialize: (bytes: Buffer) => bytes,
        responseSerialize: () => Buffer.alloc(0),
        responseDeserialize: () => ({}),
        originalName: "export",
      },
    },
    {
      Export(call: ServerUnaryCall<Buffer, object>, callback: sendUnaryData<object>) {
        try {
          sink(decodeTraceRequest(call.request));
          callback(null, {});
        } catch (error) {
          callback({ code: status.INVALID_ARGUMENT, details: error instanceof Error ? error.message : "bad request" });
        }
      },
    },
  );
  const bind = (p: number) =>
    new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${p}`, ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
  let bound: number;
  try {
    bound = await bind(port);
  } catch (error) {
    if (port === 0) throw error;
    bound = await bind(0);
  }
  return { server, port: bound };
}
