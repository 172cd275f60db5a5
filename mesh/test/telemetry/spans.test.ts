import { status } from "@grpc/grpc-js";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { endRpcSpan, type RpcSide, startRpcSpan } from "../../src/telemetry/index.ts";
import { type InMemoryTracing, startInMemoryTracing } from "./in-memory-tracing.ts";

const placeOrder = {
  service: "shop.orders.v1.OrderService",
  name: "PlaceOrder",
  path: "/shop.orders.v1.OrderService/PlaceOrder",
};

let tracing: InMemoryTracing;
beforeAll(() => {
  tracing = startInMemoryTracing();
});
afterAll(() => tracing.stop());
beforeEach(() => tracing.exporter.reset());

function finish(side: RpcSide, code: number, error?: unknown): ReadableSpan {
  endRpcSpan(startRpcSpan(side, placeOrder), code, error);
  const [span] = tracing.exporter.getFinishedSpans();
  if (span === undefined) throw new Error("no span exported");
  tracing.exporter.reset();
  return span;
}

describe("startRpcSpan", () => {
  it.each<[RpcSide, SpanKind]>([
    ["server", SpanKind.SERVER],
    ["client", SpanKind.CLIENT],
  ])("names a %s span <service>/<method> with the rpc attributes", (side, kind) => {
    const span = finish(side, status.OK);
    expect(span.name).toBe("shop.orders.v1.OrderService/PlaceOrder");
    expect(span.kind).toBe(kind);
    expect(span.instrumentationScope.name).toBe("weft-mesh");
    expect(span.attributes).toEqual({
      "rpc.system": "grpc",
      "rpc.service": "shop.orders.v1.OrderService",
      "rpc.method": "PlaceOrder",
      "rpc.grpc.status_code": status.OK,
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.ended).toBe(true);
  });

  it("uses the active span as parent when none is given", () => {
    const parent = trace.getTracer("test").startSpan("handler");
    context.with(trace.setSpan(context.active(), parent), () => endRpcSpan(startRpcSpan("client", placeOrder), 0));
    parent.end();
    const child = tracing.exporter.getFinishedSpans().find((span) => span.kind === SpanKind.CLIENT);
    expect(child?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });
});

describe("endRpcSpan status", () => {
  const serverFaults = new Set<number>([
    status.UNKNOWN,
    status.DEADLINE_EXCEEDED,
    status.UNIMPLEMENTED,
    status.INTERNAL,
    status.UNAVAILABLE,
    status.DATA_LOSS,
  ]);
  const codes = Object.values(status).filter((code): code is number => typeof code === "number");

  it("covers all 17 gRPC codes", () => {
    expect(codes).toHaveLength(17);
  });

  it.each(codes)("code %i: server errors only on server faults, client on every non-OK code", (code) => {
    const server = finish("server", code);
    const client = finish("client", code);
    expect(server.attributes["rpc.grpc.status_code"]).toBe(code);
    expect(client.attributes["rpc.grpc.status_code"]).toBe(code);
    expect(server.status.code).toBe(serverFaults.has(code) ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
    expect(client.status.code).toBe(code === status.OK ? SpanStatusCode.UNSET : SpanStatusCode.ERROR);
  });

  it("records the exception and uses its message as the status description", () => {
    const span = finish("server", status.INTERNAL, new TypeError("boom"));
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "boom" });
    expect(span.events).toHaveLength(1);
    expect(span.events[0]?.name).toBe("exception");
    expect(span.events[0]?.attributes).toMatchObject({ "exception.type": "TypeError", "exception.message": "boom" });
  });

  it("records a client-side error with the status name when the error is not an Error", () => {
    const span = finish("client", status.NOT_FOUND, { reason: "missing" });
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "NOT_FOUND" });
    expect(span.events[0]?.attributes).toMatchObject({ "exception.message": "[object Object]" });
  });

  it("records but does not fail a server span for a client fault", () => {
    const span = finish("server", status.INVALID_ARGUMENT, new Error("bad field"));
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.events.map((event) => event.name)).toEqual(["exception"]);
  });
});
