import { SpanKind } from "@opentelemetry/api";
import {
  EchoServiceBinding,
  type EchoServiceClient,
  type EchoServiceHandlers,
} from "@weft/gen/weft/echo/v1/echo_weft.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provide } from "../../src/index.ts";
import { address, TestWorld } from "../support/workloads.ts";
import { type InMemoryTracing, startInMemoryTracing } from "../telemetry/in-memory-tracing.ts";

let tracing: InMemoryTracing;
const world = new TestWorld();
let client: EchoServiceClient;

function handlers(next?: () => EchoServiceClient): EchoServiceHandlers {
  return {
    async echo(request) {
      return next ? next().echo(request) : { text: request.text };
    },
    count: async function* () {},
    collect: async () => ({}),
    chat: async function* () {},
  };
}

beforeAll(async () => {
  tracing = startInMemoryTracing();
  const [front, back, tester] = await Promise.all(["front", "back", "tester"].map((n) => world.mesh(n)));
  const backServer = await back!.serve([provide(EchoServiceBinding, handlers())]);
  const toBack = front!.connect(EchoServiceBinding, { target: address(backServer.port) });
  const frontServer = await front!.serve([
    provide(
      EchoServiceBinding,
      handlers(() => toBack),
    ),
  ]);
  client = tester!.connect(EchoServiceBinding, { target: address(frontServer.port) });
});

afterAll(async () => {
  await world.close();
  await tracing.stop();
});

describe("tracing across two services", () => {
  it("links client and server spans of both hops into one trace", async () => {
    await client.echo({ text: "traced" });
    await expect.poll(() => tracing.exporter.getFinishedSpans().length).toBe(4);
    const spans = tracing.exporter.getFinishedSpans();
    const byKind = (kind: SpanKind) => spans.filter((s) => s.kind === kind);
    expect(byKind(SpanKind.CLIENT)).toHaveLength(2);
    expect(byKind(SpanKind.SERVER)).toHaveLength(2);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    for (const span of spans) expect(span.name).toBe("weft.echo.v1.EchoService/Echo");

    // tester client → front server → front client → back server
    const parentOf = (span: (typeof spans)[number]) => span.parentSpanContext?.spanId;
    const root = spans.find((s) => parentOf(s) === undefined);
    expect(root?.kind).toBe(SpanKind.CLIENT);
    const frontServer = spans.find((s) => parentOf(s) === root!.spanContext().spanId);
    expect(frontServer?.kind).toBe(SpanKind.SERVER);
    const frontClient = spans.find((s) => parentOf(s) === frontServer!.spanContext().spanId);
    expect(frontClient?.kind).toBe(SpanKind.CLIENT);
    const backServer = spans.find((s) => parentOf(s) === frontClient!.spanContext().spanId);
    expect(backServer?.kind).toBe(SpanKind.SERVER);
    expect(backServer?.attributes["rpc.grpc.status_code"]).toBe(0);
  });
});
