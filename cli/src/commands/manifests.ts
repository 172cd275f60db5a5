// `weft manifests`: writes everything derived from the manifests (istio/authz policies, istio's
// kustomization, the kustomize bases) and removes what no workload needs any more. `--check`
// writes nothing and fails, one line per file, when the committed files have drifted.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type App, checkAppContracts, loadContracts } from "@weft/mesh/app";
import { currentApp } from "../app.ts";
import { expectPositionals, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { driftProblems, readOverlays, renderAll, staleFiles } from "../derive/index.ts";

export interface ManifestChanges {
  /** Files written that did not exist. */
  created: string[];
  /** Files whose content changed. */
  changed: string[];
  /** Generated files no workload produces any more. */
  removed: string[];
}

/** Writes the derived files of an app; reports only what actually changed on disk. */
export function writeManifests(app: App): ManifestChanges {
  const registry = loadContracts(app.root);
  checkAppContracts(app, registry);
  const files = renderAll(app, registry, readOverlays(app.root));
  const changes: ManifestChanges = { created: [], changed: [], removed: staleFiles(app.root, files) };
  for (const path of changes.removed) rmSync(join(app.root, path));
  for (const [path, content] of files) {
    const file = join(app.root, path);
    const before = existsSync(file) ? readFileSync(file, "utf8") : undefined;
    if (before === content) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    (before === undefined ? changes.created : changes.changed).push(path);
  }
  return changes;
}

const usage = "weft manifests [--check]";

export const manifestsCommand: Command = {
  name: "manifests",
  usage: "[--check]",
  summary: "write istio/ policies and kustomize bases derived from the manifests (--check: fail on drift)",
  async run(args) {
    const { values, positionals } = parse(args, { check: { type: "boolean" } }, usage);
    expectPositionals(positionals, 0, usage);
    const app = currentApp();
    if (values.check) {
      const registry = loadContracts(app.root);
      checkAppContracts(app, registry);
      const problems = driftProblems(app.root, renderAll(app, registry, readOverlays(app.root)));
      for (const problem of problems) process.stderr.write(`${problem}\n`);
      if (problems.length > 0) return 1;
      process.stdout.write("derived files are up to date\n");
      return 0;
    }
    const changes = writeManifests(app);
    for (const path of changes.created) process.stdout.write(`created ${path}\n`);
    for (const path of changes.changed) process.stdout.write(`updated ${path}\n`);
    for (const path of changes.removed) process.stdout.write(`removed ${path}\n`);
    if (changes.created.length + changes.changed.length + changes.removed.length === 0) {
      process.stdout.write("derived files are up to date\n");
    }
    return 0;
  },
};
