import { Metadata } from "@grpc/grpc-js";
import { context, isSpanContextValid, SpanKind, trace } from "@opentelemetry/api";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { endRpcSpan, extractTraceContext, injectTraceContext, startRpcSpan } from "../../src/telemetry/index.ts";
import { type InMemoryTracing, startInMemoryTracing } from "./in-memory-tracing.ts";

const echo = { service: "weft.echo.v1.EchoService", name: "Echo", path: "/weft.echo.v1.EchoService/Echo" };

let tracing: InMemoryTracing;
beforeAll(() => {
  tracing = startInMemoryTracing();
});
afterAll(() => tracing.stop());
beforeEach(() => tracing.exporter.reset());

describe("trace context in gRPC metadata", () => {
  it("round-trips the trace id through Metadata", () => {
    const span = trace.getTracer("test").startSpan("outgoing");
    const metadata = new Metadata();
    injectTraceContext(metadata, trace.setSpan(context.active(), span));
    expect(metadata.get("traceparent")).toEqual([`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`]);

    const extracted = trace.getSpanContext(extractTraceContext(metadata));
    expect(extracted?.traceId).toBe(span.spanContext().traceId);
    expect(extracted?.spanId).toBe(span.spanContext().spanId);
    expect(extracted?.isRemote).toBe(true);
    span.end();
  });

  it("injects the active context by default, replacing earlier values", () => {
    const metadata = new Metadata();
    metadata.set("traceparent", "00-stale");
    trace.getTracer("test").startActiveSpan("active", (span) => {
      injectTraceContext(metadata);
      span.end();
      expect(metadata.get("traceparent")).toHaveLength(1);
      expect(trace.getSpanContext(extractTraceContext(metadata))?.spanId).toBe(span.spanContext().spanId);
    });
  });

  it("extracts nothing valid from metadata without trace context, or with binary values only", () => {
    expect(trace.getSpanContext(extractTraceContext(new Metadata()))).toBeUndefined();
    const metadata = new Metadata();
    metadata.set("x-request-id", "req-1");
    metadata.set("traceparent-bin", Buffer.from("not text"));
    const spanContext = trace.getSpanContext(extractTraceContext(metadata));
    expect(spanContext === undefined || !isSpanContextValid(spanContext)).toBe(true);
  });

  it("makes the server span a child of the client span across the wire", () => {
    const clientSpan = startRpcSpan("client", echo);
    const metadata = new Metadata();
    injectTraceContext(metadata, trace.setSpan(context.active(), clientSpan));

    // The server side sees only what crossed the wire: a fresh Metadata with the text entries.
    const received = new Metadata();
    for (const [key, value] of Object.entries(metadata.getMap())) received.set(key, value);
    const serverSpan = startRpcSpan("server", echo, extractTraceContext(received));
    endRpcSpan(serverSpan, 0);
    endRpcSpan(clientSpan, 0);

    const spans = tracing.exporter.getFinishedSpans();
    const server = spans.find((span) => span.kind === SpanKind.SERVER);
    const client = spans.find((span) => span.kind === SpanKind.CLIENT);
    expect(client?.parentSpanContext).toBeUndefined();
    expect(server?.spanContext().traceId).toBe(client?.spanContext().traceId);
    expect(server?.parentSpanContext?.spanId).toBe(client?.spanContext().spanId);
    expect(server?.parentSpanContext?.isRemote).toBe(true);
  });
});
