import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Metadata } from "@grpc/grpc-js";
import { context, propagation, trace } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { endRpcSpan, injectTraceContext, startRpcSpan, startTracing } from "../../src/telemetry/index.ts";

/** A stand-in OTLP/HTTP collector that records what it is sent. */
let collector: Server;
const received: { path: string; contentType: string; body: Buffer }[] = [];

beforeAll(async () => {
  collector = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({
        path: request.url ?? "",
        contentType: request.headers["content-type"] ?? "",
        body: Buffer.concat(chunks),
      });
      response.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  // Start from clean API globals in case another file ran in this worker.
  trace.disable();
  context.disable();
  propagation.disable();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise((resolve) => collector.close(resolve));
});

describe("startTracing with the standard OTEL_* variables set", () => {
  it("starts the SDK, which exports RPC spans over OTLP to the configured endpoint", async () => {
    const { port } = collector.address() as AddressInfo;
    vi.stubEnv("OTEL_EXPORTER_OTLP_ENDPOINT", `http://127.0.0.1:${port}`);
    vi.stubEnv("OTEL_SERVICE_NAME", "");

    const shutdown = await startTracing({ serviceName: "weft-sdk-test" });
    const span = startRpcSpan("client", { service: "weft.echo.v1.EchoService", name: "Echo", path: "" });
    expect(span.isRecording()).toBe(true);

    // The SDK registered context propagation too.
    const metadata = new Metadata();
    injectTraceContext(metadata, trace.setSpan(context.active(), span));
    expect(metadata.get("traceparent")[0]).toContain(span.spanContext().traceId);

    endRpcSpan(span, 0);
    await shutdown(); // flushes the batch processor

    const traces = received.filter((request) => request.path === "/v1/traces");
    expect(traces).toHaveLength(1);
    expect(traces[0]?.contentType).toBe("application/x-protobuf");
    const body = traces[0]?.body.toString("latin1") ?? "";
    expect(body).toContain("weft-sdk-test");
    expect(body).toContain("weft.echo.v1.EchoService/Echo");
    // Metrics and logs are not routed through the SDK.
    expect(received.filter((request) => request.path !== "/v1/traces")).toEqual([]);
  });
});
