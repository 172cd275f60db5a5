// `make manifests`: renders every overlay under deploy/overlays/ to dist/manifests/<overlay>.yaml.
// With kubectl on PATH it uses `kubectl kustomize` (the real thing); otherwise the small renderer
// in kustomize.ts, which implements exactly the subset this repository uses and refuses the rest.
// WEFT_RENDERER=builtin forces the built-in one (to compare both, or where kubectl is too old).

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { render } from "./kustomize.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

function kubectlAvailable(): boolean {
  if (process.env.WEFT_RENDERER === "builtin") return false;
  return spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;
}

export function renderOverlayToYaml(dir: string): string {
  return render(dir)
    .map((object) => stringify(object, { lineWidth: 0 }))
    .join("---\n");
}

function main(): void {
  const out = resolve(root, process.argv[2] ?? "dist/manifests");
  const overlaysDir = join(root, "deploy", "overlays");
  const overlays = readdirSync(overlaysDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const useKubectl = kubectlAvailable();
  mkdirSync(out, { recursive: true });
  for (const overlay of overlays) {
    const dir = join(overlaysDir, overlay);
    const yaml = useKubectl
      ? execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
      : renderOverlayToYaml(dir);
    const file = join(out, `${overlay}.yaml`);
    writeFileSync(file, yaml);
    console.log(`${file} (${useKubectl ? "kubectl kustomize" : "built-in renderer"})`);
  }
}

main();
