// The edge's SERVER spans: one per request on every protocol, continuing the caller's W3C trace and
// parenting the upstream call, so a trace runs browser → gateway → service.

import { Writable } from "node:stream";
import { Code as ConnectCode, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { CatalogService } from "@weft/gen/shop/catalog/v1/catalog_pb.js";
import { createLogger, createMesh } from "@weft/mesh";
import { TestMesh } from "@weft/mesh/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type InMemoryTracing, startInMemoryTracing } from "../../../mesh/test/telemetry/in-memory-tracing.ts";
import { type Gateway, startGateway } from "../../src/server.ts";
import { createTokens, startFakes, testEdgeSettings, testUpstreamEnv } from "./fakes.ts";

const world = new TestMesh();
let tracing: InMemoryTracing;
let gateway: Gateway;
let base: string;
/** The gateway's log lines, parsed. */
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  // Before any mesh starts, so the mesh finds the provider and context manager registered.
  tracing = startInMemoryTracing();
  const addresses = await startFakes(world, await createTokens());
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line !== "") logLines.push(JSON.parse(line));
      done();
    },
  });
  const mesh = await createMesh({
    name: "gateway",
    app: world.app,
    config: world.config(),
    env: testUpstreamEnv(addresses),
    logger: createLogger({ service: "gateway", destination }),
  });
  world.track(mesh);
  gateway = await startGateway(mesh, testEdgeSettings());
  base = `http://127.0.0.1:${gateway.port}`;
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await world.close();
  await tracing?.stop();
});

beforeEach(() => tracing.exporter.reset());

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const callerSpanId = "00f067aa0ba902b7";
const traceparent = `00-${traceId}-${callerSpanId}-01`;

const spanId = (span: ReadableSpan) => span.spanContext().spanId;
const parentId = (span: ReadableSpan) => span.parentSpanContext?.spanId;

/** The edge span of the one request a test made, once the response has finished. */
async function edgeSpan(): Promise<ReadableSpan> {
  return vi.waitFor(() => {
    const spans = tracing.exporter
      .getFinishedSpans()
      .filter((span) => span.instrumentationScope.name === "weft-gateway");
    expect(spans).toHaveLength(1);
    return spans[0] as ReadableSpan;
  });
}

/** The mesh's spans of the upstream call: the gateway's client span and the service's server span. */
async function upstreamSpans(): Promise<{ client: ReadableSpan; server: ReadableSpan }> {
  return vi.waitFor(() => {
    const mesh = tracing.exporter.getFinishedSpans().filter((span) => span.instrumentationScope.name === "weft-mesh");
    const client = mesh.find((span) => span.kind === SpanKind.CLIENT);
    const server = mesh.find((span) => span.kind === SpanKind.SERVER);
    expect(client).toBeDefined();
    expect(server).toBeDefined();
    return { client: client as ReadableSpan, server: server as ReadableSpan };
  });
}

describe("the edge's server span", () => {
  it("continues a browser's traceparent on REST and parents the upstream call", async () => {
    const response = await fetch(`${base}/v1/products/p-1`, {
      headers: { traceparent, "user-agent": "edge-test" },
    });
    expect(response.status).toBe(200);
    const span = await edgeSpan();
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.name).toBe("GET /v1/products/{id}");
    expect(span.spanContext().traceId).toBe(traceId);
    expect(parentId(span)).toBe(callerSpanId);
    expect(span.attributes).toMatchObject({
      "http.request.method": "GET",
      "url.path": "/v1/products/p-1",
      "url.scheme": "http",
      "http.route": "/v1/products/{id}",
      "http.response.status_code": 200,
      "rpc.service": "shop.catalog.v1.CatalogService",
      "rpc.method": "GetProduct",
      "network.protocol.version": "1.1",
      "client.address": "127.0.0.1",
      "user_agent.original": "edge-test",
    });
    // REST is transcoded to an RPC, but is not itself one.
    expect(span.attributes["rpc.system"]).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);

    const { client, server } = await upstreamSpans();
    expect(parentId(client)).toBe(spanId(span));
    expect(parentId(server)).toBe(spanId(client));
    expect(server.spanContext().traceId).toBe(traceId);

    // The access-log line names the edge span, so a log line leads to its trace.
    const line = await vi.waitFor(() => {
      const found = logLines.find((entry) => entry.msg === "http" && entry.path === "/v1/products/p-1");
      expect(found).toBeDefined();
      return found as Record<string, unknown>;
    });
    expect(line).toMatchObject({ trace_id: traceId, span_id: spanId(span), status: 200 });
  });

  it("starts a trace when the caller sends none", async () => {
    expect((await fetch(`${base}/v1/products?page_size=1`)).status).toBe(200);
    const span = await edgeSpan();
    // The query may carry secrets and is not recorded.
    expect(span.attributes["url.path"]).toBe("/v1/products");
    expect(span.attributes["url.query"]).toBeUndefined();
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.spanContext().traceId).not.toBe(traceId);
    const { client } = await upstreamSpans();
    expect(client.spanContext().traceId).toBe(span.spanContext().traceId);
    expect(parentId(client)).toBe(spanId(span));
  });

  it("leaves a 4xx unset and names an unrouted request by its method only", async () => {
    expect((await fetch(`${base}/v1/products/nope`, { headers: { traceparent } })).status).toBe(404);
    const notFound = await edgeSpan();
    expect(notFound.attributes["http.response.status_code"]).toBe(404);
    expect(notFound.status.code).toBe(SpanStatusCode.UNSET);

    tracing.exporter.reset();
    expect((await fetch(`${base}/v1/nothing-here`)).status).toBe(404);
    const unrouted = await edgeSpan();
    expect(unrouted.name).toBe("GET");
    expect(unrouted.attributes["http.route"]).toBeUndefined();
  });

  it("marks a 5xx as an error", async () => {
    // Readiness fails (two upstreams are down): a 503 from the edge itself.
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    const span = await edgeSpan();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes["error.type"]).toBe("503");
  });

  it.each([
    ["Connect", () => createConnectTransport({ baseUrl: base, httpVersion: "1.1" }), "connect_rpc", "1.1"],
    ["gRPC-Web", () => createGrpcWebTransport({ baseUrl: base, httpVersion: "1.1" }), "grpc", "1.1"],
    ["gRPC over h2c", () => createGrpcTransport({ baseUrl: base }), "grpc", "2"],
  ] as const)("describes a %s call as an RPC and parents its upstream call", async (_, transport, system, version) => {
    const client = createClient(CatalogService, transport());
    await client.getProduct({ id: "p-1" }, { headers: { traceparent } });
    const span = await edgeSpan();
    const route = "/shop.catalog.v1.CatalogService/GetProduct";
    expect(span.name).toBe(`POST ${route}`);
    expect(span.spanContext().traceId).toBe(traceId);
    expect(parentId(span)).toBe(callerSpanId);
    expect(span.attributes).toMatchObject({
      "http.route": route,
      "rpc.system": system,
      "rpc.service": "shop.catalog.v1.CatalogService",
      "rpc.method": "GetProduct",
      "network.protocol.version": version,
    });
    if (system === "grpc") expect(span.attributes["rpc.grpc.status_code"]).toBe(0);
    else expect(span.attributes["rpc.connect_rpc.error_code"]).toBeUndefined();
    const { client: upstream } = await upstreamSpans();
    expect(parentId(upstream)).toBe(spanId(span));
  });

  it("records a failed RPC's code, an error only when it is the server's fault", async () => {
    const grpc = createClient(CatalogService, createGrpcTransport({ baseUrl: base }));
    await expect(grpc.getProduct({ id: "nope" })).rejects.toMatchObject({ code: ConnectCode.NotFound });
    const notFound = await edgeSpan();
    expect(notFound.attributes["rpc.grpc.status_code"]).toBe(ConnectCode.NotFound);
    expect(notFound.attributes["http.response.status_code"]).toBe(200);
    expect(notFound.status.code).toBe(SpanStatusCode.UNSET);

    tracing.exporter.reset();
    const connect = createClient(CatalogService, createConnectTransport({ baseUrl: base, httpVersion: "1.1" }));
    // createProduct needs a token: UNAUTHENTICATED, refused at the edge before any upstream call.
    const refused = await connect.createProduct({ product: { name: "x" } }).catch((error: unknown) => error);
    expect(ConnectError.from(refused).code).toBe(ConnectCode.Unauthenticated);
    const unauthenticated = await edgeSpan();
    expect(unauthenticated.attributes["rpc.connect_rpc.error_code"]).toBe("unauthenticated");
    expect(unauthenticated.status.code).toBe(SpanStatusCode.UNSET);
  });
});
