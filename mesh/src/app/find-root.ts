import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ManifestError } from "./errors.ts";

export const appFileName = "weft.app.yaml";
export const serviceFileName = "weft.yaml";

/**
 * The app root: WEFT_APP_DIR when set (the launcher and the images set it), else the nearest
 * folder at or above `from` that holds weft.app.yaml.
 */
export function findAppRoot(from: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.WEFT_APP_DIR;
  if (configured !== undefined && configured !== "") {
    const root = resolve(configured);
    if (!existsSync(join(root, appFileName))) {
      throw new ManifestError(`not inside a Weft app: WEFT_APP_DIR=${configured} holds no ${appFileName}`);
    }
    return root;
  }
  const start = resolve(from);
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, appFileName))) return dir;
    if (dirname(dir) === dir) break;
  }
  throw new ManifestError(`not inside a Weft app: no ${appFileName} in ${start} or above`);
}
