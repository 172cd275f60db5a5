// `weft new app <dir>`: a new app from cli/templates/app, depending on the Weft packages from the
// registry (this CLI's version) or from tarballs (`npm pack` output) in a folder.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { appFileName } from "@weft/mesh/app";
import { UsageError } from "../errors.ts";
import { checkName, snakeCase } from "../names.ts";
import { packageRoot } from "../self.ts";
import { type RenderedFile, renderTemplates, templateDir, writeNewFiles } from "./render.ts";

const weftPackages = { mesh: "@weft/mesh", gateway: "@weft/gateway", cli: "@weft/cli" } as const;
type WeftPackage = keyof typeof weftPackages;

/** How the app depends on each Weft package: `^<version>` from the registry, or `file:` a tarball. */
export function weftDependencies(packagesDir: string | undefined): Record<WeftPackage, string> {
  if (packagesDir === undefined) {
    const { version } = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version: string };
    return { mesh: `^${version}`, gateway: `^${version}`, cli: `^${version}` };
  }
  const dir = resolve(packagesDir);
  if (!existsSync(dir)) throw new UsageError(`--packages ${packagesDir}: no such folder`);
  const tarballs = readdirSync(dir).filter((file) => file.endsWith(".tgz"));
  const pick = (key: WeftPackage): string => {
    // npm pack names @weft/mesh@0.1.0 weft-mesh-0.1.0.tgz.
    const found = tarballs.filter((file) => file.startsWith(`weft-${key}-`)).sort();
    const last = found.at(-1);
    if (last === undefined)
      throw new UsageError(`--packages ${packagesDir}: no weft-${key}-<version>.tgz (npm pack ${weftPackages[key]})`);
    return `file:${join(dir, last)}`;
  };
  return { mesh: pick("mesh"), gateway: pick("gateway"), cli: pick("cli") };
}

/** The nearest app at or above `dir`, if any (an app is not created inside another). */
function enclosingApp(dir: string): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, appFileName))) return current;
    if (dirname(current) === current) return undefined;
  }
}

export function scaffoldApp(dir: string, packagesDir: string | undefined): { root: string; files: RenderedFile[] } {
  const root = resolve(dir);
  const name = basename(root);
  checkName("app", name);
  if (existsSync(root) && readdirSync(root).length > 0) throw new UsageError(`${dir} exists and is not empty`);
  const outer = enclosingApp(dirname(root));
  if (outer !== undefined) throw new UsageError(`${dir} is inside the Weft app at ${outer}; create an app outside it`);
  const dependencies = weftDependencies(packagesDir);
  const files = renderTemplates(templateDir("app"), {
    app: name,
    appPackage: snakeCase(name),
    meshDependency: dependencies.mesh,
    gatewayDependency: dependencies.gateway,
    cliDependency: dependencies.cli,
  });
  writeNewFiles(root, files);
  return { root, files };
}
