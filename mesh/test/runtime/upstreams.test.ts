// Upstreams come from the manifests: a workload reaches only what its weft.yaml declares in
// `calls:`, at <NAME>_ADDR or the upstream's Kubernetes Service.
import { join } from "node:path";
import { EchoServiceBinding, type EchoServiceHandlers } from "@weft/gen/weft/echo/v1/echo_weft.js";
import { afterAll, describe, expect, it } from "vitest";
import { loadApp, ManifestError } from "../../src/app/index.ts";
import { Code, createMesh, provide, RpcError, resolveUpstream } from "../../src/index.ts";
import { writeEchoApp } from "../support/echo-app.ts";
import { address, TestWorld } from "../support/workloads.ts";

const world = new TestWorld();
afterAll(() => world.close());
const app = loadApp(writeEchoApp(join(world.dir, "app")));

const handlers: EchoServiceHandlers = {
  echo: async (request) => ({ text: request.text }),
  count: async function* () {},
  collect: async () => ({}),
  chat: async function* () {},
};

describe("resolving an upstream from the manifests", () => {
  it("finds the implementing service at its Kubernetes Service, with the declared methods", () => {
    const upstream = resolveUpstream(app, "caller", "weft.echo.v1.EchoService", {});
    expect(upstream.service).toBe("echo");
    expect(upstream.target).toBe("dns:///echo.demo-ns.svc.cluster.local:50051");
    expect([...(upstream.paths ?? [])]).toEqual(["/weft.echo.v1.EchoService/Echo"]);
  });

  it("takes <NAME>_ADDR when it is set", () => {
    expect(resolveUpstream(app, "caller", "weft.echo.v1.EchoService", { ECHO_ADDR: "127.0.0.1:7000" }).target).toBe(
      "127.0.0.1:7000",
    );
  });

  it("refuses an upstream the caller's manifest does not declare, naming the file", () => {
    expect(() => resolveUpstream(app, "lonely", "weft.echo.v1.EchoService", {})).toThrow(
      new ManifestError(
        "services/lonely/weft.yaml: calls: lonely calls echo (weft.echo.v1.EchoService) but does not declare it",
      ),
    );
  });

  it("refuses a proto service no service implements", () => {
    expect(() => resolveUpstream(app, "caller", "weft.echo.v1.NoSuchService", {})).toThrow(ManifestError);
  });

  it("lets the edge reach edge: true services only", () => {
    expect(resolveUpstream(app, "gateway", "weft.echo.v1.EchoService", {}).paths).toBeUndefined();
    expect(() => resolveUpstream(app, "gateway", "weft.echo.v1.CounterService", {})).toThrow(
      "services/counter/weft.yaml: edge: the edge calls counter, which is not edge: true",
    );
  });
});

describe("mesh.connect without a target", () => {
  it("calls a declared method, and refuses an undeclared one before it leaves", async () => {
    const server = await (await world.mesh("echo")).serve([provide(EchoServiceBinding, handlers)]);
    const caller = await createMesh({
      name: "caller",
      app,
      config: world.config(),
      env: { ECHO_ADDR: address(server.port) },
    });
    world.meshes.push(caller);
    const echo = caller.connect(EchoServiceBinding);
    expect(await echo.echo({ text: "hi" })).toMatchObject({ text: "hi" });
    const refused = await (async () => {
      for await (const _ of echo.count({ count: 1 })) return undefined;
    })().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RpcError);
    expect((refused as RpcError).code).toBe(Code.PERMISSION_DENIED);
    expect((refused as RpcError).rawMessage).toBe(
      "services/caller/weft.yaml: calls.echo does not list EchoService/Count",
    );
  });

  it("fails at connect for an upstream the manifest does not declare", async () => {
    const lonely = await createMesh({ name: "lonely", app, config: world.config() });
    world.meshes.push(lonely);
    expect(() => lonely.connect(EchoServiceBinding)).toThrow(ManifestError);
  });
});
