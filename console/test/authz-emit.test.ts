// The mesh's decision emitter against the real SDK, read back by the console: one span event per
// deny on the server span, allows sampled, and the console's reading of exactly what was emitted.
import { context, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { authzTelemetry } from "@weft/mesh";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decisionsOf } from "../src/authz/decisions.ts";
import type { SpanRecord } from "../src/otlp/model.ts";
import { hex } from "../src/otlp/model.ts";

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(async () => {
  context.disable();
  await provider.shutdown();
});

function serve(
  record: ReturnType<typeof authzTelemetry>,
  outcome: Parameters<ReturnType<typeof authzTelemetry>>[0],
): void {
  const span = provider.getTracer("weft-mesh").startSpan("server", {}, ROOT_CONTEXT);
  context.with(trace.setSpan(ROOT_CONTEXT, span), () => record(outcome));
  span.end();
}

describe("authzTelemetry", () => {
  it("records every deny and one allow in N per caller and method, readable by the console", () => {
    exporter.reset();
    const record = authzTelemetry({ allowSampleEvery: 3 });
    const allow = {
      allowed: true,
      caller: "cluster.local/ns/shop/sa/orders",
      method: "/shop.catalog.v1.CatalogService/GetProduct",
      policy: "shop/catalog",
      rule: 0,
      reason: "allowed",
    };
    for (let i = 0; i < 7; i++) serve(record, allow);
    serve(record, {
      allowed: false,
      caller: undefined,
      method: "/shop.payments.v1.PaymentService/Charge",
      reason: "no identity",
    });
    serve(record, {
      allowed: false,
      caller: "spiffe://cluster.local/ns/shop/sa/catalog",
      method: "/shop.payments.v1.PaymentService/Charge",
      policy: "shop/payments",
      reason: "denied",
    });
    const events = exporter.getFinishedSpans().flatMap((s) => s.events.filter((e) => e.name === "authz.decision"));
    expect(events.map((e) => e.attributes?.["authz.decision"])).toEqual(["allow", "allow", "allow", "deny", "deny"]);
    const last = exporter.getFinishedSpans().at(-1)!;
    const asRecord: SpanRecord = {
      traceId: last.spanContext().traceId,
      spanId: last.spanContext().spanId,
      parentSpanId: undefined,
      name: last.name,
      kind: "server",
      service: "payments",
      startMs: 0,
      durationMs: 0,
      status: "unset",
      statusMessage: "",
      attributes: {},
      events: last.events.map((e) => ({
        name: e.name,
        timeMs: 0,
        attributes: e.attributes as SpanRecord["attributes"],
      })),
      links: [],
      scope: "weft-mesh",
    };
    expect(decisionsOf(asRecord)).toEqual([
      expect.objectContaining({
        decision: "deny",
        caller: "spiffe://cluster.local/ns/shop/sa/catalog",
        policy: "shop/payments",
        rule: -1,
        workload: "payments",
      }),
    ]);
    expect(hex(new Uint8Array([0, 255]))).toBe("00ff");
  });

  it("does nothing outside a recording span", () => {
    exporter.reset();
    authzTelemetry()({ allowed: false, caller: undefined, method: "/x.Y/Z", reason: "" });
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
