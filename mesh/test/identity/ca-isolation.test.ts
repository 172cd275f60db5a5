// Workloads never read the CA key: the launcher holds it, its file is owner-only (and refused
// otherwise), and a workload gets its certificate from the signer with nothing about the CA in its
// environment — even running as a user who could not open the key if it tried.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmod, chown, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { EchoServiceBinding } from "@weft/gen/weft/echo/v1/echo_weft.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type CertificateAuthority,
  type CertificateSigner,
  caKeyFileName,
  loadOrCreateCa,
  localCaIssuer,
  startCertificateSigner,
} from "../../src/identity/index.ts";
import { createMesh, type Mesh, meshConfigFromEnv } from "../../src/index.ts";
import { allowShopToCallFixtures } from "../support/workloads.ts";

const root = new URL("../../../", import.meta.url).pathname;
const workload = join(root, "mesh/test/identity/fixtures/signer-workload.ts");
const nobody = 65534;
const isRoot = process.getuid?.() === 0;
/** A child node process compiles and loads the mesh first: generous on a busy two-core machine. */
const childMs = 120_000;

let dir: string;
let ca: CertificateAuthority;
let signer: CertificateSigner;
let policyDir: string;
const children: ChildProcess[] = [];
const meshes: Mesh[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "weft-ca-isolation-"));
  ca = await loadOrCreateCa(join(dir, "ca"));
  signer = await startCertificateSigner({
    ca,
    socketPath: join(dir, "run", "signer.sock"),
    trustDomain: "cluster.local",
    namespace: "shop",
  });
  policyDir = join(dir, "policy");
  await mkdir(policyDir, { mode: 0o755 });
  await writeFile(join(policyDir, "policy.yaml"), allowShopToCallFixtures, { mode: 0o644 });
});

afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

afterAll(async () => {
  await Promise.all(meshes.map((m) => m.close()));
  await signer.close();
  await rm(dir, { recursive: true, force: true });
});

/** The environment the launcher gives a workload: the signer's socket and a token, and no CA path. */
function workloadEnv(token: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: tmpdir(),
    ...token,
    MESH_POLICY_DIR: policyDir,
    GRPC_HOST: "127.0.0.1",
    GRPC_PORT: "0",
    LOG_LEVEL: "silent",
  };
}

/** Starts the workload fixture and reads the line it prints once serving. */
async function startWorkload(env: Record<string, string>, uid?: number) {
  const child = spawn(
    process.execPath,
    ["--conditions=weft-source", "--import", "tsx", workload, join(dir, "ca", caKeyFileName)],
    {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      ...(uid === undefined ? {} : { uid, gid: uid }),
    },
  );
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`the workload exited (${code}): ${stderr}`)));
  });
  return JSON.parse(line) as { port: number; caKey: string; principal: string };
}

describe("the CA key file", () => {
  it("is created owner-only", async () => {
    expect((await stat(join(dir, "ca", caKeyFileName))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "ca"))).mode & 0o777).toBe(0o700);
  });

  it("is refused, in one line, when others may read it", async () => {
    const loose = join(dir, "loose-ca");
    await loadOrCreateCa(loose);
    await chmod(join(loose, caKeyFileName), 0o644);
    const error = await loadOrCreateCa(loose).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /^refusing the mesh CA key .*ca-key\.pem: it must be mode 0600 .* mode 0644/,
    );
    expect((error as Error).message).not.toContain("\n");
  });

  it.skipIf(!isRoot)("is refused when another user owns it (they could have replaced it)", async () => {
    const foreign = join(dir, "foreign-ca");
    await loadOrCreateCa(foreign);
    await chown(join(foreign, caKeyFileName), nobody, nobody);
    await expect(loadOrCreateCa(foreign)).rejects.toThrow(/owned by uid 65534/);
  });
});

describe("a workload", () => {
  it.skipIf(!isRoot)(
    "running as another user cannot open the CA key, and still gets its certificate from the signer",
    async () => {
      // The workload's user may reach the signer's socket (in a multi-user setup, the launcher's
      // group would), and nothing else of the launcher's state: the CA directory stays 0700.
      await chmod(dir, 0o711);
      await chmod(join(dir, "run"), 0o711);
      await chown(signer.socketPath, nobody, nobody);
      const started = await startWorkload(workloadEnv(signer.enroll("orders").env), nobody);
      expect(started.caKey).toBe("EACCES");
      expect(started.principal).toBe("cluster.local/ns/shop/sa/orders");

      // A peer holding a certificate from the same CA verifies that server as `orders`.
      const caller = await createMesh({
        name: "gateway",
        config: { ...meshConfigFromEnv({}), issuer: localCaIssuer(ca), policyDir, logLevel: "silent", port: 0 },
      });
      meshes.push(caller);
      const client = caller.connect(EchoServiceBinding, { target: `127.0.0.1:${started.port}`, name: "orders" });
      expect((await client.echo({ text: "hi" })).text).toBe("cluster.local/ns/shop/sa/gateway");
    },
    childMs,
  );

  it(
    "without the signer does not start, and never creates or opens a CA",
    async () => {
      const wouldBeCa = join(dir, "workload-made-ca");
      const result = spawnSync(
        process.execPath,
        ["--conditions=weft-source", "--import", "tsx", workload, join(wouldBeCa, caKeyFileName)],
        {
          cwd: root,
          env: { ...workloadEnv({}), MESH_DATA_DIR: wouldBeCa },
          encoding: "utf8",
          timeout: childMs,
        },
      );
      expect(result.status).toBe(2);
      expect(result.stderr.trim()).toBe(
        "signer-workload: configuration error: MESH_MTLS=mesh needs the launcher's certificate signer: MESH_SIGNER_SOCKET and MESH_SIGNER_TOKEN are set by the launcher (make up); a workload never reads the CA key",
      );
      await expect(stat(wouldBeCa)).rejects.toThrow(/ENOENT/);
    },
    childMs,
  );
});
