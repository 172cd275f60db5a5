// The mesh's trust, attacked: a forged x-forwarded-client-cert from a caller that is not the
// sidecar, istio mode where nothing guarantees a sidecar, MESH_MTLS=off without the test flag,
// and a server that answers as another workload than the one the client asked for.
import { spawnSync } from "node:child_process";
import { networkInterfaces } from "node:os";
import { credentials } from "@grpc/grpc-js";
import {
  createEchoServiceClient,
  EchoServiceBinding,
  type EchoServiceHandlers,
} from "@weft/gen/weft/echo/v1/echo_weft.js";
import { afterAll, describe, expect, it } from "vitest";
import { xfccHeader } from "../../src/identity/index.ts";
import { Code, ConfigError, createTransport, meshConfigFromEnv, provide, RpcError } from "../../src/index.ts";
import { TestWorld } from "../support/workloads.ts";

const world = new TestWorld();
afterAll(() => world.close());

const root = new URL("../../../", import.meta.url).pathname;
/** A child node process compiles and loads the mesh first: generous on a busy two-core machine. */
const childMs = 120_000;

/** Answers with the principal the server saw. */
const handlers: EchoServiceHandlers = {
  async echo(_request, context) {
    return { text: context.principal ?? "<none>" };
  },
  count: async function* () {},
  collect: async () => ({}),
  chat: async function* () {},
};

async function failureOf(promise: Promise<unknown>): Promise<RpcError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof RpcError)) throw new Error(`expected an RpcError, got ${String(outcome)}`);
  return outcome;
}

/** An address of this machine that is not loopback: what another pod's connection comes from. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((candidate) => candidate !== undefined && !candidate.internal && candidate.family === "IPv4")?.address;

const forged =
  "By=spiffe://cluster.local/ns/shop/sa/inventory;Hash=ab12;URI=spiffe://cluster.local/ns/shop/sa/payments";

describe("istio mode", () => {
  it.skipIf(external === undefined)(
    "refuses a forged x-forwarded-client-cert from a caller that is not the sidecar",
    async () => {
      // Listening beyond loopback, as in a pod whose deployment states that a sidecar is injected.
      const mesh = await world.mesh("inventory", { mtls: "istio", host: "0.0.0.0", sidecarInjected: true });
      const server = await mesh.serve([provide(EchoServiceBinding, handlers)]);
      const call = (host: string) =>
        createEchoServiceClient(
          createTransport(`${host}:${server.port}`, credentials.createInsecure(), { defaultTimeoutMs: 5_000 }),
        ).echo({ text: "hi" }, { metadata: { [xfccHeader]: forged } });

      // From another address (another pod, a pod without a sidecar, ambient's ztunnel): refused.
      const error = await failureOf(call(external!));
      expect(error.code).toBe(Code.UNAUTHENTICATED);
      // From the sidecar (loopback), the same header is the identity.
      expect((await call("127.0.0.1")).text).toBe("cluster.local/ns/shop/sa/payments");
    },
  );

  it("refuses to start where nothing guarantees that only the sidecar reaches the port", async () => {
    const error = await world.mesh("catalog", { mtls: "istio", host: "0.0.0.0" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      "MESH_MTLS=istio believes x-forwarded-client-cert only behind a sidecar, but GRPC_HOST=0.0.0.0 is reachable from outside the pod: bind GRPC_HOST to 127.0.0.1 or ::1, or set MESH_SIDECAR_INJECTED=true where an injected sidecar captures all inbound traffic and PeerAuthentication is STRICT",
    );
  });

  it.each([
    ["bound to 127.0.0.1", { host: "127.0.0.1" }],
    ["bound to ::1", { host: "::1" }],
    ["with MESH_SIDECAR_INJECTED=true", { host: "0.0.0.0", sidecarInjected: true }],
  ])("starts %s", async (_name, overrides) => {
    const mesh = await world.mesh("catalog", { mtls: "istio", ...overrides });
    expect(mesh.config.mtls).toBe("istio");
  });

  it("reads MESH_SIDECAR_INJECTED and MESH_SIDECAR_ADDRESSES from the environment", () => {
    const config = meshConfigFromEnv({ MESH_SIDECAR_INJECTED: "true", MESH_SIDECAR_ADDRESSES: "10.0.0.7, fd00::7" });
    expect(config).toMatchObject({ sidecarInjected: true, sidecarAddresses: ["10.0.0.7", "fd00::7"] });
    expect(() => meshConfigFromEnv({ MESH_SIDECAR_ADDRESSES: "10.0.0.7,sidecar" })).toThrow(
      new ConfigError('MESH_SIDECAR_ADDRESSES must be comma-separated IP addresses (got "10.0.0.7,sidecar")'),
    );
  });
});

describe("MESH_MTLS=off", () => {
  const offMain = (env: Record<string, string>) =>
    spawnSync("node_modules/.bin/tsx", ["mesh/test/runtime/fixtures/mesh-main.ts"], {
      cwd: root,
      env: {
        ...process.env,
        MESH_POLICY_DIR: `${world.dir}/policy`,
        GRPC_HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        ...env,
      },
      encoding: "utf8",
      timeout: childMs,
    });

  it(
    "without the test flag stops the program with one line",
    () => {
      const result = offMain({ MESH_MTLS: "off" });
      expect(result.status).toBe(2);
      expect(result.stderr.trim()).toBe(
        "mesh-main: configuration error: MESH_MTLS=off turns off mTLS, peer identity and policy; it is for tests only and needs MESH_ALLOW_INSECURE=1",
      );
    },
    childMs,
  );

  it(
    "starts with MESH_ALLOW_INSECURE=1",
    () => {
      const result = offMain({ MESH_MTLS: "off", MESH_ALLOW_INSECURE: "1" });
      expect(result.stderr).toBe("");
      expect(result.stdout.trim()).toBe("started: off");
    },
    childMs,
  );

  it("is refused programmatically too unless the config says allowInsecure", async () => {
    await expect(world.mesh("plain", { mtls: "off" })).rejects.toThrow(ConfigError);
    expect((await world.mesh("plain", { mtls: "off", allowInsecure: true })).config.mtls).toBe("off");
  });
});

describe("the server's identity, per upstream", () => {
  it("a client refuses a server presenting another workload's SPIFFE id", async () => {
    const impostor = await (await world.mesh("inventory")).serve([provide(EchoServiceBinding, handlers)]);
    const caller = await world.mesh("orders");
    const target = `127.0.0.1:${impostor.port}`;
    // orders asked for payments; inventory's certificate answered.
    const error = await failureOf(
      caller.connect(EchoServiceBinding, { target, name: "payments", timeoutMs: 3_000 }).echo({ text: "card" }),
    );
    expect(error.code).toBe(Code.UNAVAILABLE);
    expect(error.message).toContain("server cluster.local/ns/shop/sa/inventory is not one of the expected principals");
    // The same with expectedIdentity, whatever the upstream is called in logs.
    const named = caller.connect(EchoServiceBinding, { target, name: "pay", expectedIdentity: "payments" });
    expect((await failureOf(named.echo({ text: "card" }))).code).toBe(Code.UNAVAILABLE);
  });

  it("accepts the server that is the expected workload", async () => {
    const server = await (await world.mesh("inventory")).serve([provide(EchoServiceBinding, handlers)]);
    const caller = await world.mesh("orders");
    const target = `127.0.0.1:${server.port}`;
    const byName = caller.connect(EchoServiceBinding, { target, name: "inventory" });
    expect((await byName.echo({ text: "hi" })).text).toBe("cluster.local/ns/shop/sa/orders");
    const byIdentity = caller.connect(EchoServiceBinding, { target, name: "stock", expectedIdentity: "inventory" });
    expect((await byIdentity.echo({ text: "hi" })).text).toBe("cluster.local/ns/shop/sa/orders");
  });
});
