// `weft new service` into a scratch copy of a minimal app (what `weft new app` makes, with this
// repository's node_modules), never into this repository: the files it creates, the derived files
// it regenerates, and the scaffolded service's own tests passing against the real PostgreSQL and NATS.
import { execFile } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaffoldApp } from "../src/scaffold/app.ts";
import { buildPackages, type Outcome, repositoryRoot, toolPath, weft } from "./support/repo.ts";

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "weft-new-service-"));
const root = join(scratch, "minimal");
const bin = join(scratch, "bin");
let scaffolded: Outcome;

/** The files the template makes for service `notes` of app `minimal`. */
const expectedFiles = [
  "proto/minimal/notes/v1/events.proto",
  "proto/minimal/notes/v1/notes.proto",
  "services/notes/drizzle.config.ts",
  "services/notes/drizzle/0000_init.sql",
  "services/notes/drizzle/meta/0000_snapshot.json",
  "services/notes/drizzle/meta/_journal.json",
  "services/notes/package.json",
  "services/notes/src/domain/item.ts",
  "services/notes/src/domain/page-token.ts",
  "services/notes/src/events/item-events.ts",
  "services/notes/src/main.ts",
  "services/notes/src/rpc/handlers.ts",
  "services/notes/src/rpc/messages.ts",
  "services/notes/src/service.ts",
  "services/notes/src/store/item-store.ts",
  "services/notes/src/store/items.ts",
  "services/notes/src/store/schema.ts",
  "services/notes/test/domain.test.ts",
  "services/notes/test/notes.test.ts",
  "services/notes/weft.yaml",
];

beforeAll(async () => {
  // The plugins run from the built @weft/mesh, like an installed app's bins (its tests too).
  await buildPackages();
  scaffoldApp(root, undefined);
  symlinkSync(join(repositoryRoot, "node_modules"), join(root, "node_modules"));
  mkdirSync(bin);
  for (const plugin of ["protoc-gen-weft", "protoc-gen-weft-openapi"]) {
    writeFileSync(
      join(bin, plugin),
      `#!/bin/sh\nexec "${process.execPath}" "${join(repositoryRoot, "mesh/dist/codegen", `${plugin}.js`)}" "$@"\n`,
    );
    chmodSync(join(bin, plugin), 0o755);
  }
  expect((await weft(["generate"], root, { PATH: `${bin}:${toolPath}` })).code).toBe(0);
  // The lockfile of what is installed (this repository's node_modules), as an installed app has
  // one: the scaffold must add the new workspace to it.
  const lock = JSON.parse(readFileSync(join(repositoryRoot, "package-lock.json"), "utf8")) as {
    packages: Record<string, unknown>;
  };
  lock.packages[""] = { name: "minimal", workspaces: ["services/*"] };
  writeFileSync(join(root, "package-lock.json"), JSON.stringify(lock, null, 2));
  scaffolded = await weft(["new", "service", "notes"], root, { PATH: `${bin}:${toolPath}` });
}, 600_000);
afterAll(async () => {
  // The scaffolded service's tests published ItemCreated to the shared NATS: remove its stream.
  const nats = await connect({ servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222" });
  await (await jetstreamManager(nats)).streams.delete("MINIMAL_NOTES_V1").catch(() => {});
  await nats.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe("weft new service notes", () => {
  it("creates exactly the template's files and says so", () => {
    expect(scaffolded.stderr).toBe("");
    expect(scaffolded.code).toBe(0);
    const created = scaffolded.stdout
      .split("\n")
      .filter((line) => line.startsWith("created ") && !line.endsWith("(derived)"))
      .map((line) => line.slice("created ".length))
      .sort();
    expect(created).toEqual(expectedFiles);
    for (const file of expectedFiles) expect(existsSync(join(root, file))).toBe(true);
    expect(readFileSync(join(root, "services/notes/weft.yaml"), "utf8")).toContain(
      "implements: [minimal.notes.v1.NotesService]",
    );
  });

  it("regenerates the code, the descriptors and every derived file, and changes nothing else", async () => {
    expect(existsSync(join(root, "gen/minimal/notes/v1/notes_weft.ts"))).toBe(true);
    expect(readFileSync(join(root, "gen/weft.binpb")).includes("minimal.notes.v1")).toBe(true);
    const derived = scaffolded.stdout
      .split("\n")
      .filter((line) => line.endsWith("(derived)"))
      .map((line) => line.replace(/ \(derived\)$/, ""));
    expect(derived).toContain("created istio/authz/notes.yaml");
    expect(derived).toContain("updated package-lock.json");
    const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
      packages: Record<string, unknown>;
    };
    expect(lock.packages["node_modules/@minimal/notes"]).toEqual({ resolved: "services/notes", link: true });
    expect((await weft(["manifests", "--check"], root)).code).toBe(0);
    const policy = await weft(["policy"], root);
    expect(policy.stdout).toBe(
      [
        "gateway → notes /minimal.notes.v1.NotesService/CreateItem",
        "gateway → notes /minimal.notes.v1.NotesService/GetItem",
        "gateway → notes /minimal.notes.v1.NotesService/ListItems",
        "",
      ].join("\n"),
    );
  }, 120_000);

  it("refuses to scaffold it twice", async () => {
    const again = await weft(["new", "service", "notes"], root);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe("weft: service notes already exists (services/notes/)\n");
  }, 60_000);

  it("passes its own tests, type-check, lint, and its migration matches its schema", async () => {
    const env = { ...process.env, PATH: toolPath };
    const reportFile = join(scratch, "vitest.json");
    await run(join(root, "node_modules/.bin/vitest"), ["run", "--reporter=json", `--outputFile=${reportFile}`], {
      cwd: root,
      env,
      maxBuffer: 64 * 1024 * 1024,
    }).catch(() => {}); // a failure is in the report
    const report = JSON.parse(readFileSync(reportFile, "utf8")) as {
      numPassedTests: number;
      numFailedTests: number;
      testResults: { name: string; message: string }[];
    };
    expect({
      failed: report.numFailedTests,
      messages: report.testResults.map((r) => r.message).filter(Boolean),
    }).toEqual({
      failed: 0,
      messages: [],
    });
    expect(report.numPassedTests).toBeGreaterThanOrEqual(9);
    await run(join(root, "node_modules/.bin/tsc"), ["--noEmit", "-p", "."], { cwd: root, env });
    await run(join(root, "node_modules/.bin/buf"), ["lint"], { cwd: root, env });
    await run(
      join(root, "node_modules/.bin/biome"),
      ["check", "--config-path", repositoryRoot, "--vcs-enabled=false", "services", "proto"],
      {
        cwd: root,
        env,
      },
    );
    const drizzle = await run(join(root, "node_modules/.bin/drizzle-kit"), ["generate"], {
      cwd: join(root, "services/notes"),
      env,
    });
    expect(drizzle.stdout).toContain("No schema changes");
  }, 300_000);
});
