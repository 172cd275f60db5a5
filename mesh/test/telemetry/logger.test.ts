import { Writable } from "node:stream";
import { context, trace } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/telemetry/index.ts";
import { type InMemoryTracing, startInMemoryTracing } from "./in-memory-tracing.ts";

/** Collects what the logger writes, one parsed object per line. */
function capture() {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const lines = () =>
    chunks
      .join("")
      .split("\n")
      .filter((line) => line !== "");
  return { destination, lines, records: () => lines().map((line) => JSON.parse(line) as Record<string, unknown>) };
}

let tracing: InMemoryTracing;
beforeAll(() => {
  tracing = startInMemoryTracing();
});
afterAll(() => tracing.stop());

describe("createLogger", () => {
  it("writes JSON lines with the service, level name and message", () => {
    const out = capture();
    createLogger({ service: "orders", destination: out.destination }).info({ order: 7 }, "placed");
    const [record] = out.records();
    expect(record).toMatchObject({ service: "orders", level: "info", msg: "placed", order: 7 });
    expect(record).not.toHaveProperty("trace_id");
    expect(record).not.toHaveProperty("span_id");
  });

  it("adds trace_id and span_id of the active span", () => {
    const out = capture();
    const logger = createLogger({ service: "orders", destination: out.destination });
    const span = trace.getTracer("test").startSpan("work");
    context.with(trace.setSpan(context.active(), span), () => logger.info("inside"));
    span.end();
    logger.info("after");
    const [inside, after] = out.records();
    expect(inside).toMatchObject({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId });
    expect(inside?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(after).not.toHaveProperty("trace_id");
  });

  it("keeps the trace fields across awaits inside the span", async () => {
    const out = capture();
    const logger = createLogger({ service: "orders", destination: out.destination });
    await trace.getTracer("test").startActiveSpan("async work", async (span) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      logger.info("later");
      span.end();
      expect(out.records()[0]).toMatchObject({ span_id: span.spanContext().spanId });
    });
  });

  it("ignores an invalid span context", () => {
    const out = capture();
    const logger = createLogger({ service: "orders", destination: out.destination });
    const invalid = trace.wrapSpanContext({ traceId: "0".repeat(32), spanId: "0".repeat(16), traceFlags: 0 });
    context.with(trace.setSpan(context.active(), invalid), () => logger.info("invalid"));
    expect(out.records()[0]).not.toHaveProperty("trace_id");
  });

  it("carries request_id added by a child logger, and honours the level", () => {
    const out = capture();
    const logger = createLogger({ service: "orders", level: "warn", destination: out.destination });
    const child = logger.child({ request_id: "req-1" });
    child.info("dropped");
    child.warn("kept");
    expect(out.records()).toEqual([expect.objectContaining({ request_id: "req-1", msg: "kept", service: "orders" })]);
  });

  it("pretty-prints for development instead of JSON", () => {
    const out = capture();
    createLogger({ service: "orders", pretty: true, destination: out.destination }).info("hello pretty");
    const [line] = out.lines();
    expect(line).toContain("hello pretty");
    expect(() => JSON.parse(line ?? "")).toThrow();
  });
});
