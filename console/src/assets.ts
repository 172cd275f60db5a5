// The web UI is built with Vite into console/dist (ignored by git) the first time the console
// starts on a fresh clone, and again whenever a file under console/web is newer than the build:
// nobody has to remember a build step, and a dev-only package never ships built files.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const consoleRoot = fileURLToPath(new URL("../", import.meta.url));
export const webDir = join(consoleRoot, "web");
export const distDir = join(consoleRoot, "dist");

/** The built UI's folder, building it first when missing or older than its sources. */
export async function ensureAssets(): Promise<string> {
  const index = join(distDir, "index.html");
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(webDir)) return distDir;
  await buildAssets();
  return distDir;
}

export async function buildAssets(): Promise<void> {
  const { build } = await import("vite");
  await build({ configFile: join(webDir, "vite.config.ts"), logLevel: "warn" });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}
