// Everything derived from the manifests, as files: the one entry point `weft manifests` writes and
// the drift test compares against what is committed.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Registry } from "@bufbuild/protobuf";
import type { App } from "@weft/mesh/app";
import { renderEdge } from "./edge.ts";
import { regenerateCommand } from "./header.ts";
import { renderKustomizeBases } from "./kustomize.ts";
import { renderOverlays } from "./overlays.ts";
import { renderPolicies } from "./policies.ts";

/** Folders whose every file is generated: a file there that rendering does not produce is stale. */
export const generatedDirs = ["istio/authz", "deploy/base"] as const;

/** Where the hand-written environments live; each folder with a kustomization.yaml is one. */
export const overlaysDir = "deploy/overlays";

/** Each overlay's kustomization.yaml (path relative to the app root) → its current text. */
export function readOverlays(root: string): Map<string, string> {
  const dir = join(root, overlaysDir);
  if (!existsSync(dir)) return new Map();
  return new Map(
    readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, "kustomization.yaml")))
      .map((entry) => `${overlaysDir}/${entry.name}/kustomization.yaml`)
      .sort()
      .map((path) => [path, readFileSync(join(root, path), "utf8")]),
  );
}

/**
 * Every generated file, by path relative to the app root (forward slashes): istio/authz and
 * istio/kustomization.yaml, deploy/base, deploy/istio/edge, and the overlays' generated parts
 * (`overlays`: readOverlays(app.root)).
 */
export function renderAll(app: App, registry: Registry, overlays: ReadonlyMap<string, string>): Map<string, string> {
  return new Map([
    ...renderPolicies(app, registry),
    ...renderKustomizeBases(app, registry),
    ...renderEdge(app, registry),
    ...renderOverlays(app, overlays),
  ]);
}

/** Files under the generated folders that `rendered` does not contain (left over from a removed workload). */
export function staleFiles(root: string, rendered: ReadonlyMap<string, string>): string[] {
  return generatedDirs.flatMap((dir) => {
    const absolute = join(root, dir);
    if (!existsSync(absolute)) return [];
    return readdirSync(absolute, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map(
        (entry) =>
          `${dir}/${join(entry.parentPath, entry.name)
            .slice(absolute.length + 1)
            .replaceAll("\\", "/")}`,
      )
      .filter((path) => !rendered.has(path))
      .sort();
  });
}

/**
 * Where the committed files differ from what the manifests generate, one line per file, each
 * naming the file and the command that fixes it. Empty when everything is up to date.
 */
export function driftProblems(root: string, rendered: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const [path, content] of rendered) {
    const file = join(root, path);
    if (!existsSync(file)) problems.push(`${path}: missing; run ${regenerateCommand}`);
    else if (readFileSync(file, "utf8") !== content) {
      problems.push(`${path}: differs from what the manifests generate; run ${regenerateCommand}`);
    }
  }
  for (const path of staleFiles(root, rendered)) {
    problems.push(`${path}: generated for a workload the manifests no longer have; run ${regenerateCommand}`);
  }
  return problems;
}
