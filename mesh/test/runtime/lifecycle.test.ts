import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { makeGenericClientConstructor, type ServiceError } from "@grpc/grpc-js";
import { EchoServiceBinding, type EchoServiceHandlers } from "@weft/gen/weft/echo/v1/echo_weft.js";
import { service as healthService } from "grpc-health-check";
import { afterAll, describe, expect, it } from "vitest";
import { channelCredentials, localCaIssuer } from "../../src/identity/index.ts";
import { Code, type Mesh, provide, RpcError } from "../../src/index.ts";
import { address, sleep, TestWorld } from "../support/workloads.ts";

const run = promisify(execFile);
const world = new TestWorld();
afterAll(() => world.close());

const handlers: EchoServiceHandlers = {
  async echo(request, context) {
    await sleep(request.delayMs, context.signal);
    return { text: request.text };
  },
  count: async function* () {},
  collect: async () => ({}),
  chat: async function* () {},
};

/** Asks the standard grpc.health.v1 service, as grpc_health_probe and kubelet do. */
function healthCheck(mesh: Mesh, port: number, service: string): Promise<string> {
  const Health = makeGenericClientConstructor(healthService, "Health");
  // grpc-js types generic clients' methods as an index signature; this one has Check.
  const client = new Health(address(port), channelCredentials(mesh.identity!)) as unknown as {
    Check(
      request: { service: string },
      options: { deadline: number },
      callback: (error: ServiceError | null, reply?: { status: string }) => void,
    ): void;
    close(): void;
  };
  return new Promise((resolve, reject) =>
    client.Check(
      { service },
      { deadline: Date.now() + 2_000 },
      (error: ServiceError | null, reply?: { status: string }) => {
        client.close();
        if (error) reject(error);
        else resolve(reply!.status);
      },
    ),
  );
}

describe("health and reflection", () => {
  it("answers grpc.health.v1 Check for the server and for each service", async () => {
    const server = await (await world.mesh("healthy")).serve([provide(EchoServiceBinding, handlers)]);
    const prober = await world.mesh("prober");
    expect(await healthCheck(prober, server.port, "")).toBe("SERVING");
    expect(await healthCheck(prober, server.port, "weft.echo.v1.EchoService")).toBe("SERVING");
    const unknown = await healthCheck(prober, server.port, "no.such.Service").catch((e: ServiceError) => e.code);
    expect(unknown).toBe(Code.NOT_FOUND);
    server.setServing(false);
    expect(await healthCheck(prober, server.port, "weft.echo.v1.EchoService")).toBe("NOT_SERVING");
  });

  it("lists and calls the services over reflection with buf curl, through mTLS", async () => {
    const server = await (await world.mesh("reflected")).serve([provide(EchoServiceBinding, handlers)]);
    const caller = await world.mesh("curl");
    const files = {
      cert: join(world.dir, "curl.pem"),
      key: join(world.dir, "curl-key.pem"),
      ca: join(world.dir, "ca.pem"),
    };
    writeFileSync(files.cert, caller.identity!.certPem);
    writeFileSync(files.key, caller.identity!.keyPem, { mode: 0o600 });
    writeFileSync(files.ca, caller.identity!.caPem);
    const tls = ["--cert", files.cert, "--key", files.key, "--cacert", files.ca, "--protocol", "grpc"];
    const base = `https://localhost:${server.port}`;
    const listed = await run("node_modules/.bin/buf", ["curl", ...tls, "--list-services", base]);
    expect(listed.stdout.split("\n")).toContain("weft.echo.v1.EchoService");
    const called = await run("node_modules/.bin/buf", [
      "curl",
      ...tls,
      "--data",
      '{"text":"via reflection"}',
      `${base}/weft.echo.v1.EchoService/Echo`,
    ]);
    expect(JSON.parse(called.stdout)).toEqual({ text: "via reflection" });
  });
});

describe("metrics", () => {
  it("serves RED metrics per method in Prometheus text format", async () => {
    const mesh = await world.mesh("measured", { metricsPort: 0 });
    const server = await mesh.serve([provide(EchoServiceBinding, handlers)]);
    const client = (await world.mesh("measurer")).connect(EchoServiceBinding, { target: address(server.port) });
    await client.echo({ text: "one" });
    await client.echo({ text: "two" });
    const text = await (await fetch(`http://127.0.0.1:${mesh.metricsPort}/metrics`)).text();
    expect(text).toContain(
      'grpc_server_handled_total{grpc_service="weft.echo.v1.EchoService",grpc_method="Echo",grpc_code="OK"} 2',
    );
    expect(text).toMatch(
      /grpc_server_handling_seconds_count\{grpc_service="weft.echo.v1.EchoService",grpc_method="Echo"\} 2/,
    );
  });
});

describe("mTLS", () => {
  it("rejects a plaintext client", async () => {
    const server = await (await world.mesh("strict")).serve([provide(EchoServiceBinding, handlers)]);
    const plaintext = await world.mesh("plaintext", { mtls: "off", allowInsecure: true });
    const client = plaintext.connect(EchoServiceBinding, { target: address(server.port), timeoutMs: 2_000 });
    const error = (await client.echo({ text: "hi" }).catch((e: unknown) => e)) as RpcError;
    expect(error).toBeInstanceOf(RpcError);
    expect(error.code).toBe(Code.UNAVAILABLE);
  });

  it("rejects a client whose certificate comes from another CA", async () => {
    const server = await (await world.mesh("strict-2")).serve([provide(EchoServiceBinding, handlers)]);
    const stranger = await world.mesh("orders", { issuer: localCaIssuer(join(world.dir, "other-ca")) });
    const client = stranger.connect(EchoServiceBinding, { target: address(server.port), timeoutMs: 2_000 });
    const error = (await client.echo({ text: "hi" }).catch((e: unknown) => e)) as RpcError;
    expect(error.code).toBe(Code.UNAVAILABLE);
  });
});

describe("graceful shutdown", () => {
  it("finishes in-flight calls, flips health, then refuses new calls with UNAVAILABLE", async () => {
    const mesh = await world.mesh("draining", { drainDelayMs: 300, shutdownGraceMs: 3_000 });
    const server = await mesh.serve([provide(EchoServiceBinding, handlers)]);
    const caller = await world.mesh("caller");
    const client = caller.connect(EchoServiceBinding, { target: address(server.port), timeoutMs: 5_000 });
    await client.echo({ text: "warm up" });

    const inFlight = client.echo({ text: "slow", delayMs: 800 });
    await sleep(50);
    const stopped = server.shutdown();
    // During the drain delay the server still answers, but reports NOT_SERVING.
    expect(await healthCheck(caller, server.port, "")).toBe("NOT_SERVING");
    await expect(inFlight).resolves.toMatchObject({ text: "slow" });
    await stopped;

    const after = (await client.echo({ text: "too late" }).catch((e: unknown) => e)) as RpcError;
    expect(after.code).toBe(Code.UNAVAILABLE);
  });

  it("cuts off calls that outlive the grace period", async () => {
    const mesh = await world.mesh("impatient", { shutdownGraceMs: 200 });
    const server = await mesh.serve([provide(EchoServiceBinding, handlers)]);
    const caller = await world.mesh("caller-2");
    const client = caller.connect(EchoServiceBinding, { target: address(server.port), timeoutMs: 10_000 });
    const started = Date.now();
    const inFlight = client.echo({ text: "forever", delayMs: 8_000 }).catch((e: unknown) => e);
    await sleep(50);
    await server.shutdown();
    const error = (await inFlight) as RpcError;
    expect(error).toBeInstanceOf(RpcError);
    expect([Code.UNAVAILABLE, Code.CANCELLED]).toContain(error.code);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe("a port in use", () => {
  it("is said with the port and the fix, not as grpc-js's 'No address added'", async () => {
    const taken = await (await world.mesh("first")).serve([provide(EchoServiceBinding, handlers)]);
    const second = await world.mesh("second", { port: taken.port });
    await expect(second.serve([provide(EchoServiceBinding, handlers)])).rejects.toThrow(
      new RegExp(`^could not listen on 127\\.0\\.0\\.1:${taken.port} .*in use .*GRPC_PORT`),
    );
  });
});
