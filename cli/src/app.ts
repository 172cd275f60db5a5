// The app a command works on: found from the current folder (or WEFT_APP_DIR) like the runtime finds it.
import { type App, findAppRoot, loadApp, ManifestError } from "@weft/mesh/app";
import { UsageError } from "./errors.ts";

/** The app root, or a refusal: "not inside a Weft app: …" (exit 2). */
export function appRoot(from: string = process.cwd()): string {
  try {
    return findAppRoot(from);
  } catch (error) {
    if (error instanceof ManifestError) throw new UsageError(error.message);
    throw error;
  }
}

/** The loaded, validated app around the current folder. */
export function currentApp(from: string = process.cwd()): App {
  return loadApp(appRoot(from));
}
