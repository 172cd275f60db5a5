// The receiver fed by the real OpenTelemetry SDK exporters, over OTLP/HTTP protobuf, OTLP/HTTP
// JSON and OTLP/gRPC: what the mesh's processes will send it.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPTraceExporter as GrpcExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { SimpleSpanProcessor, type SpanExporter, TracerProvider } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SpanRecord } from "../src/otlp/model.ts";
import { type OtlpReceiver, startOtlpReceiver } from "../src/otlp/receiver.ts";

let receiver: OtlpReceiver;
const received: SpanRecord[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver((spans) => received.push(...spans), { httpPort: 0, grpcPort: 0 });
});
afterAll(() => receiver.close());

async function exportThrough(exporter: SpanExporter, service: string): Promise<void> {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": service }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer("weft-mesh");
  const start = new Date("2030-01-02T03:04:05.006Z");
  tracer.startActiveSpan(
    "shop.orders.v1.OrderService/PlaceOrder",
    { kind: SpanKind.SERVER, startTime: start },
    (server) => {
      server.setAttributes({
        "rpc.system": "grpc",
        "rpc.service": "shop.orders.v1.OrderService",
        "rpc.method": "PlaceOrder",
        "rpc.grpc.status_code": 0,
        "weft.ratio": 0.5,
        "weft.flags": [true, false],
      });
      server.addEvent("authz.decision", { "authz.decision": "allow", "authz.rule": 0 }, new Date(start.getTime() + 1));
      // No context manager is registered here, so the parent is passed explicitly.
      const client = tracer.startSpan(
        "shop.catalog.v1.CatalogService/GetProduct",
        { kind: SpanKind.CLIENT, startTime: new Date(start.getTime() + 2) },
        trace.setSpan(ROOT_CONTEXT, server),
      );
      client.setStatus({ code: SpanStatusCode.ERROR, message: "UNAVAILABLE" });
      client.end(new Date(start.getTime() + 5));
      server.end(new Date(start.getTime() + 12));
    },
  );
  await provider.forceFlush();
  await provider.shutdown();
}

describe.each([
  ["OTLP/HTTP protobuf", () => new ProtoExporter({ url: `${receiver.httpEndpoint}/v1/traces` })],
  ["OTLP/HTTP JSON", () => new JsonExporter({ url: `${receiver.httpEndpoint}/v1/traces` })],
  ["OTLP/gRPC", () => new GrpcExporter({ url: `http://127.0.0.1:${receiver.grpcPort}` })],
])("%s", (protocol, exporter) => {
  it("receives the SDK's spans with ids, parentage, kinds, times, attributes, events and status", async () => {
    const service = `svc-${protocol.replace(/\W/g, "")}`;
    await exportThrough(exporter(), service);
    const spans = received.filter((s) => s.service === service);
    expect(spans).toHaveLength(2);
    const server = spans.find((s) => s.kind === "server")!;
    const client = spans.find((s) => s.kind === "client")!;
    expect(server.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(client.traceId).toBe(server.traceId);
    expect(client.parentSpanId).toBe(server.spanId);
    expect(server.parentSpanId).toBeUndefined();
    expect(server.startMs).toBe(Date.parse("2030-01-02T03:04:05.006Z"));
    expect(server.durationMs).toBeCloseTo(12);
    expect(server.scope).toBe("weft-mesh");
    expect(server.attributes).toEqual({
      "rpc.system": "grpc",
      "rpc.service": "shop.orders.v1.OrderService",
      "rpc.method": "PlaceOrder",
      "rpc.grpc.status_code": 0,
      "weft.ratio": 0.5,
      "weft.flags": [true, false],
    });
    expect(server.events).toEqual([
      {
        name: "authz.decision",
        timeMs: server.startMs + 1,
        attributes: { "authz.decision": "allow", "authz.rule": 0 },
      },
    ]);
    expect(server.status).toBe("unset");
    expect(client).toMatchObject({
      status: "error",
      statusMessage: "UNAVAILABLE",
      name: "shop.catalog.v1.CatalogService/GetProduct",
    });
  });
});

describe("OTLP/HTTP errors", () => {
  it("answers 400 to a body that is not OTLP, 404 elsewhere, 405 to GET", async () => {
    const post = (path: string, body: string, type: string) =>
      fetch(`${receiver.httpEndpoint}${path}`, { method: "POST", headers: { "content-type": type }, body });
    expect(
      (
        await post(
          "/v1/traces",
          '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz"}]}]}]}',
          "application/json",
        )
      ).status,
    ).toBe(400);
    expect((await post("/v1/traces", "\xff\xff\xff", "application/x-protobuf")).status).toBe(400);
    expect((await post("/v1/metrics", "", "application/x-protobuf")).status).toBe(404);
    expect((await fetch(`${receiver.httpEndpoint}/v1/traces`)).status).toBe(405);
  });

  it("falls back to a free port when the preferred one is taken", async () => {
    const second = await startOtlpReceiver(() => {}, { httpPort: receiver.httpPort, grpcPort: receiver.grpcPort });
    try {
      expect(second.httpPort).not.toBe(receiver.httpPort);
      expect(second.grpcPort).not.toBe(receiver.grpcPort);
    } finally {
      await second.close();
    }
  });
});
