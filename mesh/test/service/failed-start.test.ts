// startService closes what it opened when the start fails: the process of a service whose setup
// throws (or whose port is taken) ends by itself, with nothing left open to keep it alive.
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../src/data/index.ts";
import { connectEventBus } from "../../src/events/index.ts";
import { type CertificateSigner, loadOrCreateCa, startCertificateSigner } from "../../src/launcher/index.ts";
import { writeEchoApp } from "../support/echo-app.ts";
import { allowShopToCallFixtures, TestWorld } from "../support/workloads.ts";

const root = new URL("../../../", import.meta.url).pathname;
const world = new TestWorld();
const consumerName = `failing-start-${process.pid}`;
let database: TestDatabase;
let taken: Server;
let takenPort: number;
let signer: CertificateSigner;

beforeAll(async () => {
  database = await createTestDatabase("failed_start");
  // The child gets its certificate as a launched workload does: from a signer, with a token.
  signer = await startCertificateSigner({
    ca: await loadOrCreateCa(join(world.dir, "ca")),
    socketPath: join(world.dir, "signer.sock"),
    trustDomain: "cluster.local",
    namespace: "demo-ns",
  });
  taken = createServer();
  takenPort = await new Promise<number>((resolve) =>
    taken.listen(0, "127.0.0.1", () => resolve((taken.address() as { port: number }).port)),
  );
});

afterAll(async () => {
  taken?.close();
  await signer?.close();
  await database?.drop();
  const bus = await connectEventBus({ servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222", name: "cleanup" });
  await bus.jsm.consumers.delete("WEFT_ECHO_V1", consumerName).catch(() => {});
  await bus.close();
  await world.close();
});

/** Runs the failing service; resolves with its output and exit code, or "hung" if it does not end in time. */
function runFailingService(failAt: "setup" | "serve", grpcPort: number) {
  const app = writeEchoApp(join(world.dir, `app-${failAt}`));
  const policies = join(world.dir, "policies");
  mkdirSync(policies, { recursive: true });
  writeFileSync(join(policies, "fixtures.yaml"), allowShopToCallFixtures);
  const child = spawn(
    process.execPath,
    ["--conditions=weft-source", "--import", "tsx", "mesh/test/service/failing-start-main.ts"],
    {
      cwd: root,
      env: {
        ...process.env,
        FAIL_AT: failAt,
        CONSUMER_NAME: consumerName,
        WEFT_APP_DIR: app,
        DATABASE_URL: database.url,
        ...signer.enroll("counter").env,
        MESH_POLICY_DIR: policies,
        GRPC_HOST: "127.0.0.1",
        GRPC_PORT: String(grpcPort),
        METRICS_PORT: "0",
        LOG_LEVEL: "silent",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise<{ code: number | null | "hung"; output: string }>((resolve) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve({ code: "hung", output });
    }, 20_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe("a start that fails", () => {
  it("when setup throws: closes the mesh, metrics port, database, bus and relay, so the process can end", async () => {
    const result = await runFailingService("setup", 0);
    expect(result.output).toContain("failed: setup failed on purpose");
    expect(result.code).toBe(0);
  }, 30_000);

  it("when the port is taken: also stops the consumer and the background loop setup started", async () => {
    const result = await runFailingService("serve", takenPort);
    expect(result.output).toMatch(/failed: .*(EADDRINUSE|No address added|bind)/i);
    expect(result.code).toBe(0);
  }, 30_000);
});
