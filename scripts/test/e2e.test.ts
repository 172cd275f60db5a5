import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { bundleNodeArgs, dropServiceDatabases, freePort, type Platform, runSeed, startPlatform } from "@weft/cli/dev";
import { loadApp } from "@weft/mesh/app";
import { testServerUrl } from "@weft/mesh/data";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Face, type OrderView, Refused, restFace, rpcFace } from "./faces.ts";

/**
 * The whole shop started the way `weft dev` starts it (its dev module, from the manifests) — every
 * service its own process, the gateway, mTLS, the istio/ policies, the dev.seed module — driven
 * only through its public faces. Databases are fresh
 * ones on the test PostgreSQL (dropped after); NATS is a private nats-server on a free port.
 */
const run = randomBytes(3).toString("hex");
const databasePrefix = `weft_e2e_${run}`;
const dataDir = mkdtempSync(join(tmpdir(), "weft-e2e-"));
const logs: string[] = [];
let platform: Platform;
const app = loadApp();

beforeAll(async () => {
  platform = await startPlatform(app, {
    dataDir,
    natsPort: await freePort(), // a private NATS: no other run's events
    gatewayPort: 0,
    freeServicePorts: true,
    pgUrl: testServerUrl,
    databasePrefix,
    env: { PAYMENTS_FLAKY_FAILURE_RATE: "0", LOG_LEVEL: "warn" },
    logs: (name, line) => logs.push(`${name} │ ${line}`),
    progress: (line) => logs.push(`launcher │ ${line}`),
  });
  await runSeed(platform, (name, line) => logs.push(`${name} │ ${line}`));
}, 240_000);

afterAll(async () => {
  await platform?.stop();
  await dropServiceDatabases(testServerUrl, databasePrefix, app.services);
  rmSync(dataDir, { recursive: true, force: true });
  if (process.env.WEFT_E2E_LOGS) process.stdout.write(`${logs.join("\n")}\n`);
}, 60_000);

async function until(face: Face, token: string, id: string, done: (o: OrderView) => boolean): Promise<OrderView> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const order = await face.getOrder(token, id);
    if (done(order) || Date.now() > deadline) return order;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const terminal = (o: OrderView) => o.status !== "PENDING";

describe.each([
  ["REST", () => restFace(platform.gatewayUrl)],
  ["gRPC", () => rpcFace("gRPC", createGrpcTransport({ baseUrl: platform.gatewayUrl }))],
  ["Connect", () => rpcFace("Connect", createConnectTransport({ baseUrl: platform.gatewayUrl, httpVersion: "1.1" }))],
])("the shop through %s", (faceName, makeFace) => {
  let face: Face;
  const alice = { email: `alice-${faceName.toLowerCase()}-${run}@example.com`, password: "alice-password-1" };
  const bob = { email: `bob-${faceName.toLowerCase()}-${run}@example.com`, password: "bob-password-12" };
  let aliceToken: string;
  let bobToken: string;
  let mug: string;
  let notebook: string;
  let confirmed: OrderView;

  beforeAll(async () => {
    face = makeFace();
    await face.signUp(alice.email, alice.password);
    await face.signUp(bob.email, bob.password);
    aliceToken = await face.login(alice.email, alice.password);
    bobToken = await face.login(bob.email, bob.password);
  });

  it("lists the products", async () => {
    const products = await face.listProducts();
    mug = products.find((p) => p.name === "Weft Mug")?.id ?? "";
    notebook = products.find((p) => p.name === "Saga Notebook")?.id ?? "";
    expect(mug).not.toBe("");
    expect(notebook).not.toBe("");
  });

  it("places an order that the saga confirms, lowering the stock and notifying the buyer", async () => {
    const before = await face.available(aliceToken, mug);
    const placed = await face.placeOrder(
      aliceToken,
      [{ productId: mug, quantity: 2 }],
      "tok_visa",
      `k-${run}-${faceName}-1`,
    );
    expect(["PENDING", "CONFIRMED"]).toContain(placed.status);
    confirmed = await until(face, aliceToken, placed.id, terminal);
    expect(confirmed.status).toBe("CONFIRMED");
    await expect.poll(() => face.available(aliceToken, mug), { timeout: 10_000 }).toBe(before - 2);
    await expect.poll(() => face.notifiedOrders(aliceToken), { timeout: 15_000 }).toContain(placed.id);
  });

  it("rejects an order paid with a declined card", async () => {
    const placed = await face.placeOrder(
      aliceToken,
      [{ productId: mug, quantity: 1 }],
      "tok_decline",
      `k-${run}-${faceName}-2`,
    );
    const done = await until(face, aliceToken, placed.id, terminal);
    expect(done.status).toBe("REJECTED");
    expect(done.statusReason).toBe("CARD_DECLINED");
  });

  it("rejects an order for more than the stock", async () => {
    const placed = await face.placeOrder(
      aliceToken,
      [{ productId: notebook, quantity: 999 }],
      "tok_visa",
      `k-${run}-${faceName}-3`,
    );
    const done = await until(face, aliceToken, placed.id, terminal);
    expect(done.status).toBe("REJECTED");
    expect(done.statusReason).toBe("INSUFFICIENT_STOCK");
  });

  it("cancels a confirmed order, returning its stock", async () => {
    const before = await face.available(aliceToken, mug);
    const cancelled = await face.cancelOrder(aliceToken, confirmed.id);
    const done =
      cancelled.status === "CANCELLED"
        ? cancelled
        : await until(face, aliceToken, confirmed.id, (o) => o.status === "CANCELLED");
    expect(done.status).toBe("CANCELLED");
    await expect.poll(() => face.available(aliceToken, mug), { timeout: 10_000 }).toBe(before + 2);
  });

  it("refuses to show one user's order to another (not found)", async () => {
    const error = await face.getOrder(bobToken, confirmed.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Refused);
    expect((error as Refused).kind).toBe("not_found");
  });
});

describe("the supervisor", () => {
  it("restarts a service killed with SIGKILL, and the platform serves again", async () => {
    const before = platform.states().get("catalog");
    expect(before).toBe("running");
    platform.crash("catalog");
    // It notices the exit, waits its backoff, starts catalog again and waits for SERVING.
    await expect.poll(() => platform.states().get("catalog"), { timeout: 5_000, interval: 20 }).not.toBe("running");
    await expect.poll(() => platform.states().get("catalog"), { timeout: 120_000, interval: 200 }).toBe("running");
    // The gateway reconnects (its channel backs off, its breaker half-opens) and serves again.
    await expect
      .poll(async () => (await fetch(`${platform.gatewayUrl}/v1/products`)).status, { timeout: 30_000, interval: 250 })
      .toBe(200);
    // And it said so.
    expect(logs.some((line) => /catalog exited unexpectedly \(SIGKILL\); restarting in/.test(line))).toBe(true);
  }, 180_000);
});

describe("the workloads' JavaScript", () => {
  it("is each workload's bundle, run by node itself", () => {
    for (const name of [...app.services.map((s) => s.name), "gateway"]) {
      const pid = platform.processIds().get(name);
      expect(pid, name).toBeDefined();
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8")
        .split("\0")
        .filter((arg) => arg !== "");
      expect(args.slice(1), name).toEqual(expect.arrayContaining([...bundleNodeArgs, platform.bundle(name)]));
      expect(args.join(" "), name).not.toMatch(/tsx|\.ts\b/);
    }
  });

  it("names the .ts files and lines in a service's stack trace", () => {
    // orders without DATABASE_URL: openDatabase throws, and the uncaught error's stack is printed.
    const result = spawnSync(process.execPath, [...bundleNodeArgs, platform.bundle("orders")], {
      cwd: tmpdir(),
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        WEFT_APP_DIR: app.root,
        MESH_POLICY_DIR: join(app.root, "istio"),
        MESH_MTLS: "off",
        MESH_ALLOW_INSECURE: "1",
        GRPC_PORT: "0",
        LOG_LEVEL: "warn",
      },
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("DATABASE_URL is not set");
    expect(result.stderr).toMatch(/at openDatabase \(\S*mesh\/src\/data\/database\.ts:\d+:\d+\)/);
    expect(result.stderr).toMatch(/services\/orders\/src\/main\.ts:\d+:\d+/);
  });
});
