// The proof that Weft is a platform (README "Build your own app on Weft", step by step): the three
// packages packed, an app made outside the repository from those tarballs, npm install, a service
// scaffolded, `weft dev`, the service used over REST through the gateway and over gRPC with the
// app's own generated client, then a clean stop.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { testServerUrl } from "@weft/mesh/data";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isListening } from "../src/dev/network.ts";
import { buildPackages, repositoryRoot } from "./support/repo.ts";

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "weft-external-"));
const packages = join(scratch, "packages");
const work = join(scratch, "work");
const app = join(work, "demo");
const databasePrefix = `weft_ext_${randomBytes(3).toString("hex")}`;
// The app's own toolchain: the pinned Node (this process's) and nothing from the repository's node_modules.
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` };
const steps: Record<string, number> = {};

async function step(name: string, command: string, args: string[], cwd: string): Promise<string> {
  const started = Date.now();
  const { stdout } = await run(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  steps[name] = (Date.now() - started) / 1000;
  return stdout;
}

let dev: ChildProcess | undefined;
let devOutput = "";
let gatewayUrl = "";
let notesAddress = "";

beforeAll(async () => {
  await buildPackages();
  mkdirSync(packages);
  mkdirSync(work);
  for (const name of ["mesh", "gateway", "cli"]) {
    // Built just above; --ignore-scripts skips prepack's second build.
    await step(
      `npm pack ${name}`,
      "npm",
      ["pack", "--ignore-scripts", "--pack-destination", packages],
      join(repositoryRoot, name),
    );
  }
  // The CLI as the tarball has it (its dist/), run from outside the repository.
  await step(
    "weft new app",
    process.execPath,
    [join(repositoryRoot, "cli/dist/bin.js"), "new", "app", "demo", "--packages", packages],
    work,
  );
  await step("npm install", "npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], app);
  await step("npx weft new service notes", "npx", ["weft", "new", "service", "notes"], app);
  // `npx weft dev` runs node_modules/.bin/weft; the test runs that bin itself, so the exit code
  // below is weft's own (npm would report its SIGINT instead).
  const started = Date.now();
  dev = spawn(join(app, "node_modules/.bin/weft"), ["dev"], {
    cwd: app,
    env: {
      ...env,
      GATEWAY_PORT: "0",
      WEFT_FREE_PORTS: "true",
      PG_URL: testServerUrl,
      WEFT_DATABASE_PREFIX: databasePrefix,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  dev.stdout?.on("data", (chunk: Buffer) => {
    devOutput += chunk.toString("utf8");
  });
  dev.stderr?.on("data", (chunk: Buffer) => {
    devOutput += chunk.toString("utf8");
  });
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (devOutput.includes("Ctrl-C stops everything")) {
        clearInterval(check);
        resolve();
      } else if (dev?.exitCode !== null) {
        clearInterval(check);
        reject(new Error(`weft dev exited (${dev?.exitCode}):\n${devOutput}`));
      }
    }, 200);
  });
  steps["weft dev (up)"] = (Date.now() - started) / 1000;
  gatewayUrl = /REST \/ Connect \/ gRPC-Web \/ gRPC\s+(\S+)/.exec(devOutput)![1]!;
  notesAddress = /notes \(gRPC, mTLS\)\s+(\S+)/.exec(devOutput)![1]!;
}, 900_000);

afterAll(async () => {
  if (dev && dev.exitCode === null) dev.kill("SIGKILL");
  const admin = postgres(testServerUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${databasePrefix}_notes" with (force)`);
  await admin.unsafe(`drop role if exists "${databasePrefix}_notes"`);
  await admin.end();
  // The app published to the shared NATS: remove its stream.
  const nats = await connect({ servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222" });
  await (await jetstreamManager(nats)).streams.delete("DEMO_NOTES_V1").catch(() => {});
  await nats.close();
  rmSync(scratch, { recursive: true, force: true });
  process.stdout.write(`external app steps (s): ${JSON.stringify(steps)}\n`);
}, 120_000);

describe("an app outside the repository, from the packed packages", () => {
  it("packs three tarballs and depends on them", () => {
    expect(readdirSync(packages).sort()).toEqual([
      "weft-cli-0.1.0.tgz",
      "weft-gateway-0.1.0.tgz",
      "weft-mesh-0.1.0.tgz",
    ]);
  });

  it("serves the scaffolded service over REST through the gateway", async () => {
    const created = await fetch(`${gatewayUrl}/v1/notes/items`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "first note" }),
    });
    expect(created.status).toBe(200);
    const { item } = (await created.json()) as { item: { id: string; name: string; createTime: string } };
    expect(item).toMatchObject({ name: "first note", id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(Date.parse(item.createTime)).toBeGreaterThan(Date.now() - 600_000);

    const read = (await (await fetch(`${gatewayUrl}/v1/notes/items/${item.id}`)).json()) as { item: unknown };
    expect(read.item).toEqual(item);
    const list = (await (await fetch(`${gatewayUrl}/v1/notes/items`)).json()) as { items: { id: string }[] };
    expect(list.items.map((i) => i.id)).toContain(item.id);

    const empty = await fetch(`${gatewayUrl}/v1/notes/items`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "" }),
    });
    expect(empty.status).toBe(400);
    const problem = (await empty.json()) as { details: { fieldViolations?: { field: string }[] }[] };
    expect(problem.details.flatMap((d) => d.fieldViolations ?? []).map((v) => v.field)).toEqual(["name"]);

    // Over gRPC, with the client `weft generate` wrote into the app's gen/, run in the app.
    writeFileSync(
      join(app, "get-item.ts"),
      [
        'import { credentials } from "@grpc/grpc-js";',
        'import { createNotesServiceClient } from "@weft/gen/demo/notes/v1/notes_weft.js";',
        'import { createTransport } from "@weft/mesh/rpc";',
        "const [address, id] = process.argv.slice(2);",
        "const client = createNotesServiceClient(createTransport(address!, credentials.createInsecure()));",
        "const { item } = await client.getItem({ id: id! });",
        "process.stdout.write(JSON.stringify({ id: item?.id, name: item?.name }));",
        "process.exit(0);",
        "",
      ].join("\n"),
    );
    const grpc = await step(
      "grpc client",
      process.execPath,
      ["--import", "tsx", "get-item.ts", new URL(gatewayUrl).host.replace("localhost", "127.0.0.1"), item.id],
      app,
    );
    expect(JSON.parse(grpc)).toEqual({ id: item.id, name: "first note" });
  }, 120_000);

  it("stops cleanly on SIGINT: exit 0, nothing left listening", async () => {
    const exited = new Promise<number | null>((resolve) => dev!.once("exit", (code) => resolve(code)));
    dev!.kill("SIGINT");
    expect(await exited).toBe(0);
    const gateway = new URL(gatewayUrl);
    const [host, port] = notesAddress.split(":");
    expect(await isListening("127.0.0.1", Number(gateway.port))).toBe(false);
    expect(await isListening(host!, Number(port))).toBe(false);
    expect(devOutput).toContain("SIGINT: stopping");
  }, 60_000);
});
