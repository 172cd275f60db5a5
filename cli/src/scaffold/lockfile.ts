// A new service is a new npm workspace (services/* in the root package.json): package-lock.json
// must list it, or the next `npm ci` refuses the lockfile. When every dependency of the new
// workspace is already installed at the root with a version it accepts — always so for the
// scaffold, whose dependencies are the app's own — the lockfile gains exactly the two entries
// npm itself writes for such a workspace, without a slow `npm install`. Otherwise the caller
// falls back to `npm install --package-lock-only`.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface Lockfile {
  packages: Record<string, { version?: string; [key: string]: unknown }>;
  [key: string]: unknown;
}

interface PackageManifest {
  name: string;
  version: string;
  license?: string;
  dependencies?: Record<string, string>;
  workspaces?: string[];
}

/** Whether an installed version satisfies a scaffold's range: `*` or the exact version. */
const accepts = (range: string, version: string | undefined) => range === "*" || range === version;

export type LockfileOutcome = "updated" | "no-lockfile" | "not-a-workspace" | "needs-npm";

/** Adds the workspace at `dir` (relative to the app root, e.g. services/notes) to package-lock.json. */
export function addWorkspaceToLockfile(root: string, dir: string): LockfileOutcome {
  const lockPath = join(root, "package-lock.json");
  if (!existsSync(lockPath)) return "no-lockfile";
  const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as PackageManifest;
  const parent = dir.slice(0, dir.lastIndexOf("/"));
  if (!(rootManifest.workspaces ?? []).some((pattern) => pattern === dir || pattern === `${parent}/*`)) {
    return "not-a-workspace";
  }
  const manifest = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) as PackageManifest;
  const lock = JSON.parse(readFileSync(lockPath, "utf8")) as Lockfile;
  for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
    const installed = lock.packages[`node_modules/${dependency}`];
    // A workspace package is a link entry; its version is on the workspace's own entry.
    const version = installed?.link === true ? lock.packages[String(installed.resolved)]?.version : installed?.version;
    if (!accepts(range, version)) return "needs-npm";
  }
  const entries = { ...lock.packages };
  entries[dir] = {
    name: manifest.name,
    version: manifest.version,
    ...(manifest.license ? { license: manifest.license } : {}),
    ...(manifest.dependencies ? { dependencies: manifest.dependencies } : {}),
  };
  entries[`node_modules/${manifest.name}`] = { resolved: dir, link: true };
  // npm keeps the root entry first and the rest in locale order.
  const { "": top, ...rest } = entries;
  const sorted = Object.keys(rest).sort((a, b) => a.localeCompare(b, "en"));
  lock.packages = { ...(top ? { "": top } : {}), ...Object.fromEntries(sorted.map((key) => [key, rest[key]!])) };
  writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
  return "updated";
}
