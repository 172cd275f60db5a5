// The repository's own app (the shop) for tests that must follow its manifests: loaded through
// @weft/mesh/app, with contracts built fresh from proto/ by buf (what `weft generate` writes to
// gen/weft.binpb), so a test never runs against stale descriptors. And small apps written on
// the fly for tests of the runtime.

import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createFileRegistry, type FileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { stringify } from "yaml";
import { type App, checkAppContracts, loadApp } from "../../src/app/index.ts";

export const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** The descriptors of the app's protos, as `buf build --exclude-source-info` produces them. */
export function buildContracts(root: string): FileRegistry {
  const bytes = execFileSync(
    join(repositoryRoot, "node_modules/.bin/buf"),
    ["build", "--exclude-source-info", "-o", "-"],
    {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
}

/** The app at `root` (default: this repository), checked against its protos. */
export function appWithContracts(root = repositoryRoot): { app: App; registry: FileRegistry } {
  const app = loadApp(root);
  const registry = buildContracts(root);
  checkAppContracts(app, registry);
  return { app, registry };
}

/** Writes a Weft app (weft.app.yaml and services/<name>/weft.yaml) into `dir`, for tests of the runtime. */
export function writeApp(
  dir: string,
  app: Record<string, unknown>,
  services: Record<string, Record<string, unknown>>,
): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "weft.app.yaml"), stringify(app));
  for (const [name, manifest] of Object.entries(services)) {
    mkdirSync(join(dir, "services", name), { recursive: true });
    writeFileSync(join(dir, "services", name, "weft.yaml"), stringify({ name, ...manifest }));
  }
  return dir;
}

/** A small app over the echo fixtures: `echo` at the edge, `counter` internal, `caller` calling echo's Echo only. */
export function writeEchoApp(dir: string, app: Record<string, unknown> = {}): string {
  return writeApp(
    dir,
    { name: "demo", namespace: "demo-ns", ...app },
    {
      echo: { implements: ["weft.echo.v1.EchoService"], edge: true },
      counter: { implements: ["weft.echo.v1.CounterService"], publishes: ["weft.echo.v1.ThingNamed"] },
      caller: { implements: ["weft.echo.v1.ChatService"], calls: { echo: ["EchoService/Echo"] } },
      lonely: { implements: ["weft.echo.v1.LonelyService"] },
    },
  );
}
