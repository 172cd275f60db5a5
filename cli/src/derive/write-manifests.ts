// Writes every generated file (istio/, deploy/base, deploy/istio/edge, the overlays' images) from the
// manifests and deletes stale ones: what `weft manifests` does, until the CLI calls renderAll itself.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { checkAppContracts, findAppRoot, loadApp, loadContracts } from "@weft/mesh/app";
import { readOverlays, renderAll, staleFiles } from "./render.ts";

const app = loadApp(findAppRoot());
const registry = loadContracts(app.root);
checkAppContracts(app, registry);
const files = renderAll(app, registry, readOverlays(app.root));
for (const stale of staleFiles(app.root, files)) {
  rmSync(join(app.root, stale));
  console.log(`removed ${stale}`);
}
for (const [path, content] of files) {
  mkdirSync(dirname(join(app.root, path)), { recursive: true });
  writeFileSync(join(app.root, path), content);
}
console.log(`wrote ${files.size} files`);
