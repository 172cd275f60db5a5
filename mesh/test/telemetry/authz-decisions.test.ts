// The enforcer's decisions as telemetry, through real mTLS servers and the SDK's in-memory
// exporter: every deny (and the first allow of a caller and method) is an `authz.decision` event
// on the call's server span, naming the policy and rule that decided; a denied call has its span.
import { SpanKind } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { EchoServiceBinding, type EchoServiceHandlers } from "@weft/gen/weft/echo/v1/echo_weft.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authzAttributes, authzEventName, Code, createLogger, createMesh, provide, RpcError } from "../../src/index.ts";
import { address, TestWorld } from "../support/workloads.ts";
import { type InMemoryTracing, startInMemoryTracing } from "./in-memory-tracing.ts";

const echoPath = "/weft.echo.v1.EchoService/Echo";
const principal = (name: string) => `cluster.local/ns/shop/sa/${name}`;

// Rule 1 of shop/echo lets `front` call Echo; shop/no-intruder denies `intruder` outright.
const policies = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: echo, namespace: shop}
spec:
  action: ALLOW
  rules:
    - from: [{source: {principals: ["${principal("someone-else")}"]}}]
      to: [{operation: {paths: ["/weft.echo.v1.EchoService/Collect"]}}]
    - from: [{source: {principals: ["${principal("front")}"]}}]
      to: [{operation: {paths: ["${echoPath}"]}}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: no-intruder, namespace: shop}
spec:
  action: DENY
  rules:
    - from: [{source: {principals: ["${principal("intruder")}"]}}]
`;

const handlers: EchoServiceHandlers = {
  echo: async (request) => ({ text: request.text }),
  count: async function* () {},
  collect: async () => ({}),
  chat: async function* () {},
};

let tracing: InMemoryTracing;
const world = new TestWorld(policies);
let port: number;
/** The server's log lines, parsed. */
const lines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  tracing = startInMemoryTracing();
  const logger = createLogger({
    service: "back",
    level: "info",
    destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const back = await createMesh({ name: "back", config: world.config({ logLevel: "info" }), logger });
  world.meshes.push(back);
  port = (await back.serve([provide(EchoServiceBinding, handlers)])).port;
});

afterAll(async () => {
  await world.close();
  await tracing.stop();
});

async function callAs(caller: string): Promise<Code> {
  const client = (await world.mesh(caller)).connect(EchoServiceBinding, { target: address(port), name: "back" });
  return client.echo({ text: "hi" }).then(
    () => Code.OK,
    (error: unknown) => (error instanceof RpcError ? error.code : Code.UNKNOWN),
  );
}

function serverSpans(): ReadableSpan[] {
  return tracing.exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);
}

function decisionsOf(span: ReadableSpan) {
  return span.events.filter((event) => event.name === authzEventName).map((event) => event.attributes);
}

describe("authorization decisions as span events", () => {
  it("records every deny with its policy and rule on the denied call's server span", async () => {
    tracing.exporter.reset();
    expect(await callAs("intruder")).toBe(Code.PERMISSION_DENIED);
    expect(await callAs("stranger")).toBe(Code.PERMISSION_DENIED);
    expect(await callAs("stranger")).toBe(Code.PERMISSION_DENIED);
    await expect.poll(() => serverSpans().length).toBe(3);

    const [intruder, stranger, again] = serverSpans().map(decisionsOf);
    expect(intruder).toEqual([
      {
        [authzAttributes.decision]: "deny",
        [authzAttributes.caller]: `spiffe://${principal("intruder")}`,
        [authzAttributes.method]: echoPath,
        [authzAttributes.policy]: "shop/no-intruder",
        [authzAttributes.rule]: 0,
        [authzAttributes.reason]: "denied by DENY policy shop/no-intruder",
      },
    ]);
    // The default deny of a workload with ALLOW policies: no policy and no rule decided.
    expect(stranger).toEqual([
      expect.objectContaining({
        [authzAttributes.decision]: "deny",
        [authzAttributes.caller]: `spiffe://${principal("stranger")}`,
        [authzAttributes.policy]: "",
        [authzAttributes.rule]: -1,
      }),
    ]);
    // Denies are never sampled away.
    expect(again).toHaveLength(1);
    // Each deny's log line names the span that carries its event: one deny, however it is read.
    const denied = lines.filter((line) => line.msg === "rbac denied");
    expect(denied.map((line) => line.span_id)).toEqual(serverSpans().map((span) => span.spanContext().spanId));
    for (const span of serverSpans()) expect(span.attributes["rpc.grpc.status_code"]).toBe(Code.PERMISSION_DENIED);
  });

  it("samples allows: the first of a caller and method is recorded, the next ones are not", async () => {
    tracing.exporter.reset();
    expect(await callAs("front")).toBe(Code.OK);
    expect(await callAs("front")).toBe(Code.OK);
    await expect.poll(() => serverSpans().length).toBe(2);

    const [first, second] = serverSpans().map(decisionsOf);
    expect(first).toEqual([
      expect.objectContaining({
        [authzAttributes.decision]: "allow",
        [authzAttributes.caller]: `spiffe://${principal("front")}`,
        [authzAttributes.policy]: "shop/echo",
        [authzAttributes.rule]: 1,
      }),
    ]);
    expect(second).toEqual([]);
  });
});
