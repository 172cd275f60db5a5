// The browser tests' mini mesh: two real workloads (console/test/fixtures/echo-workload.ts), each
// its own process with mTLS, the AuthorizationPolicies below, an embedded database, JetStream
// events and OTLP export to the console, started and watched the way the launcher does it
// (OTEL_* from console.telemetryEnv, every output line to console.ingestLog, health to
// console.setHealth). The app model and grants are what the manifests would give.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type Supervised, startProcess, stopProcesses, waitFor } from "@weft/cli/dev";
import { createMesh, meshConfigFromEnv } from "@weft/mesh";
import { checkHealth, loadOrCreateCa, localCaIssuer, startCertificateSigner } from "@weft/mesh/launcher";
import { createTestDatabase, type TestDatabase } from "@weft/mesh/testing";
import { writeApp } from "../../../mesh/test/support/echo-app.ts";
import type { ConsoleApp, Grant } from "../../src/app.ts";
import type { WeftConsole } from "../../src/console.ts";

export const repositoryRoot = new URL("../../../", import.meta.url).pathname;

const policies = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: front, namespace: shop }
spec:
  selector: { matchLabels: { app: front } }
  action: ALLOW
  rules:
    - from: [{ source: { namespaces: ["shop"] } }]
      to: [{ operation: { paths: ["/weft.echo.v1.EchoService/Echo"] } }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: back, namespace: shop }
spec:
  selector: { matchLabels: { app: back } }
  action: ALLOW
  rules:
    - from: [{ source: { principals: ["cluster.local/ns/shop/sa/front"] } }]
      to: [{ operation: { paths: ["/weft.echo.v1.CounterService/AddToCounter"] } }]
`;

/** What loadApp() would return for the mini mesh's manifests. */
export function miniApp(root: string): ConsoleApp {
  return {
    root,
    manifest: { name: "mini", trustDomain: "cluster.local", namespace: "shop" },
    services: [
      {
        name: "back",
        file: join(root, "services/back/weft.yaml"),
        implements: ["weft.echo.v1.CounterService"],
        database: true,
        edge: false,
        calls: [],
        publishes: [],
        consumes: ["weft.echo.v1.ThingNamed"],
      },
      {
        name: "front",
        file: join(root, "services/front/weft.yaml"),
        implements: ["weft.echo.v1.EchoService"],
        database: true,
        edge: false,
        calls: [{ service: "back", methods: ["/weft.echo.v1.CounterService/AddToCounter"] }],
        publishes: ["weft.echo.v1.ThingNamed"],
        consumes: [],
      },
    ],
  };
}

export const miniGrants: Grant[] = [
  { callee: "back", caller: "front", paths: ["/weft.echo.v1.CounterService/AddToCounter"] },
];

export interface MiniMesh {
  readonly dir: string;
  readonly caDir: string;
  readonly policyDir: string;
  readonly addresses: Record<string, string>;
  readonly app: ConsoleApp;
  stop(): Promise<void>;
}

/**
 * The repository's FileDescriptorSet, as `weft generate` writes it to gen/weft.binpb, built into
 * `dir` so the test needs no earlier generate step and leaves gen/ alone.
 */
export function buildDescriptors(dir: string): Uint8Array {
  const out = join(dir, "weft.binpb");
  execFileSync(join(repositoryRoot, "node_modules/.bin/buf"), ["build", "-o", out, "--exclude-source-info"], {
    cwd: repositoryRoot,
  });
  return readFileSync(out);
}

/** Creates the CA and policies (before the console, which issues identities from them). */
export function prepareMiniMesh(): { dir: string; caDir: string; policyDir: string } {
  const dir = mkdtempSync(join(tmpdir(), "console-mesh-"));
  const policyDir = join(dir, "policy");
  mkdirSync(policyDir);
  writeFileSync(join(policyDir, "policies.yaml"), policies);
  return { dir, caDir: join(dir, "ca"), policyDir };
}

export async function startMiniMesh(
  prepared: { dir: string; caDir: string; policyDir: string },
  console: WeftConsole,
  natsUrl: string,
): Promise<MiniMesh> {
  const { dir, caDir, policyDir } = prepared;
  // The workloads' manifests, which the runtime reads at start (what miniApp models for the console).
  writeApp(
    dir,
    { name: "mini", namespace: "shop" },
    {
      back: { implements: ["weft.echo.v1.CounterService"], database: true, consumes: ["weft.echo.v1.ThingNamed"] },
      front: {
        implements: ["weft.echo.v1.EchoService"],
        database: true,
        calls: { back: ["CounterService/AddToCounter"] },
        publishes: ["weft.echo.v1.ThingNamed"],
      },
    },
  );
  // As weft dev does: the launcher holds the CA and its signer issues the workloads' certificates.
  const signer = await startCertificateSigner({
    ca: await loadOrCreateCa(caDir),
    socketPath: join(dir, "signer.sock"),
    trustDomain: "cluster.local",
    namespace: "shop",
  });
  const launcher = await createMesh({
    name: "launcher",
    config: {
      ...meshConfigFromEnv({}),
      issuer: localCaIssuer(caDir),
      policyDir,
      host: "127.0.0.1",
      port: 0,
      logLevel: "silent",
    },
  });
  const credentials = launcher.clientCredentials();
  const ports = { back: await freePort(), front: await freePort() };
  const addresses = { back: `127.0.0.1:${ports.back}`, front: `127.0.0.1:${ports.front}` };
  const running: Supervised[] = [];
  // The test PostgreSQL, a fresh database per workload: PGlite takes many seconds to initialise here.
  const databases: Record<string, TestDatabase> = {
    back: await createTestDatabase("console_back"),
    front: await createTestDatabase("console_front"),
  };
  const dropDatabases = () => Promise.all(Object.values(databases).map((d) => d.drop()));
  const start = async (name: "front" | "back") => {
    console.setHealth(name, "starting");
    const child = startProcess(
      {
        name,
        command: process.execPath,
        args: [
          "--conditions=weft-source",
          "--import",
          "tsx",
          join(repositoryRoot, "console/test/fixtures/echo-workload.ts"),
        ],
        cwd: repositoryRoot,
        env: {
          ...console.telemetryEnv,
          WORKLOAD: name,
          GRPC_HOST: "127.0.0.1",
          GRPC_PORT: String(ports[name]),
          BACK_ADDR: addresses.back,
          ...signer.enroll(name).env,
          WEFT_APP_DIR: dir,
          MESH_POLICY_DIR: policyDir,
          NATS_URL: natsUrl,
          WEFT_DATA_DIR: join(dir, "data"),
          DATABASE_URL: databases[name]!.url,
          LOG_LEVEL: "debug",
        },
      },
      (process, line, stream) => console.ingestLog(process, line, stream),
    );
    running.push(child);
    const serving = await waitFor(async () => (await checkHealth(addresses[name], credentials)) === "SERVING", 60_000);
    if (!serving) throw new Error(`${name} did not become SERVING`);
    console.setHealth(name, "SERVING");
  };
  try {
    await Promise.all([start("back"), start("front")]);
  } catch (error) {
    await stopProcesses(running, 5_000);
    await launcher.close();
    await signer.close();
    await dropDatabases();
    throw error;
  }
  return {
    dir,
    caDir,
    policyDir,
    addresses,
    app: miniApp(dir),
    async stop() {
      await stopProcesses(running, 10_000);
      await launcher.close();
      await signer.close();
      await dropDatabases();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
