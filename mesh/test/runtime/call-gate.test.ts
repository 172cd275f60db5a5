// The call gate decides when the request headers arrive: a denied call is answered before grpc-js
// decodes its body, and what sampling leaves out starts no span — except a deny, always traced.
import { SpanKind } from "@opentelemetry/api";
import { EchoServiceBinding, type EchoServiceHandlers } from "@weft/gen/weft/echo/v1/echo_weft.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Code, provide, RpcError, type ServiceBinding } from "../../src/index.ts";
import { setTracesSampling, tracesSamplingFromEnv } from "../../src/telemetry/index.ts";
import { address, TestWorld } from "../support/workloads.ts";
import { type InMemoryTracing, startInMemoryTracing } from "../telemetry/in-memory-tracing.ts";

// `front` may call Echo; `stranger` (of the same namespace) may not.
const policy = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: echo, namespace: shop}
spec:
  action: ALLOW
  rules:
    - from: [{source: {principals: ["cluster.local/ns/shop/sa/front"]}}]
      to: [{operation: {paths: ["/weft.echo.v1.EchoService/Echo"]}}]
`;

const handlers: EchoServiceHandlers = {
  echo: async (request) => ({ text: request.text }),
  count: async function* () {},
  collect: async () => ({}),
  chat: async function* () {},
};

/** The echo binding, counting the request bodies grpc-js decodes on the server. */
let decoded = 0;
const counting: ServiceBinding<EchoServiceHandlers, unknown> = {
  desc: EchoServiceBinding.desc,
  definition: {
    ...EchoServiceBinding.definition,
    echo: {
      ...EchoServiceBinding.definition.echo!,
      requestDeserialize: (bytes: Buffer) => {
        decoded++;
        return EchoServiceBinding.definition.echo!.requestDeserialize(bytes);
      },
    },
  },
};

let tracing: InMemoryTracing;
const world = new TestWorld(policy);
let port: number;

beforeAll(async () => {
  tracing = startInMemoryTracing();
  port = (await (await world.mesh("back")).serve([provide(counting, handlers)])).port;
});

afterAll(async () => {
  await world.close();
  await tracing.stop();
});

afterEach(() => setTracesSampling(tracesSamplingFromEnv({})));

async function echoAs(caller: string): Promise<Code> {
  const client = (await world.mesh(caller)).connect(EchoServiceBinding, { target: address(port), name: "back" });
  return client.echo({ text: "hi" }).then(
    () => Code.OK,
    (error: unknown) => (error instanceof RpcError ? error.code : Code.UNKNOWN),
  );
}

const serverSpans = () => tracing.exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);

describe("the call gate", () => {
  it("answers a denied call without decoding its request", async () => {
    decoded = 0;
    expect(await echoAs("stranger")).toBe(Code.PERMISSION_DENIED);
    expect(decoded).toBe(0);
    expect(await echoAs("front")).toBe(Code.OK);
    expect(decoded).toBe(1);
  });

  it("starts no span for an unsampled call, but always traces a deny", async () => {
    setTracesSampling({ parentBased: true, ratio: 0 });
    tracing.exporter.reset();
    expect(await echoAs("front")).toBe(Code.OK);
    expect(await echoAs("stranger")).toBe(Code.PERMISSION_DENIED);
    await expect.poll(() => serverSpans().length).toBe(1);
    // Neither client span was sampled; the only span is the denied call's, with its decision.
    expect(tracing.exporter.getFinishedSpans()).toHaveLength(1);
    expect(serverSpans()[0]?.attributes["rpc.grpc.status_code"]).toBe(Code.PERMISSION_DENIED);
    expect(serverSpans()[0]?.events.map((event) => event.name)).toContain("authz.decision");
  });
});

describe("tracesSamplingFromEnv", () => {
  it("reads the standard sampler names and argument", () => {
    expect(tracesSamplingFromEnv({})).toEqual({ parentBased: true, ratio: 1 });
    expect(
      tracesSamplingFromEnv({ OTEL_TRACES_SAMPLER: "parentbased_traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.25" }),
    ).toEqual({ parentBased: true, ratio: 0.25 });
    expect(tracesSamplingFromEnv({ OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "7" })).toEqual({
      parentBased: false,
      ratio: 1,
    });
    expect(tracesSamplingFromEnv({ OTEL_TRACES_SAMPLER: "always_off" })).toEqual({ parentBased: false, ratio: 0 });
    expect(tracesSamplingFromEnv({ OTEL_TRACES_SAMPLER: "parentbased_always_off" })).toEqual({
      parentBased: true,
      ratio: 0,
    });
  });
});
