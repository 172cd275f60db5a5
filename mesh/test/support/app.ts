// The repository's own app (the shop) for tests that must follow its manifests: loaded through
// @weft/mesh/app, with contracts built fresh from proto/ by buf (what `weft generate` writes to
// gen/weft.binpb), so a test never runs against stale descriptors.

import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createFileRegistry, type FileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
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
