// Where this package is and how it runs: from its TypeScript sources inside the Weft repository
// (tests, `npm run weft`), or from its built dist/ once installed. The processes `weft dev`
// starts follow the same choice, so sources and builds are never mixed in one platform.
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The @weft/cli package folder (this file is src/self.ts or dist/self.js). */
export const packageRoot = fileURLToPath(new URL("../", import.meta.url));

/** True when running the .ts sources (the workspace), false when running the built .js. */
export const runningFromSource = import.meta.url.endsWith(".ts");

/** The export condition that makes the Weft packages resolve to their sources (see their package.json). */
export const sourceCondition = "weft-source";

const require = createRequire(import.meta.url);

/** Resolves a module or file of a dependency of @weft/cli to an absolute path. */
export function resolveDependency(specifier: string): string {
  return require.resolve(specifier);
}

/**
 * Node's arguments for running a TypeScript entry point of an app: the tsx loader (from this
 * package's own dependency, whatever the app installed) and, from sources, the source condition.
 */
export function typescriptNodeArgs(): string[] {
  return [
    ...(runningFromSource ? [`--conditions=${sourceCondition}`] : []),
    "--import",
    pathToFileURL(resolveDependency("tsx")).href,
  ];
}

/** Node's arguments for running this CLI again (a command from within a command, e.g. weft generate). */
export function selfArgs(): string[] {
  const bin = fileURLToPath(new URL(runningFromSource ? "./bin.ts" : "./bin.js", import.meta.url));
  return runningFromSource ? [...typescriptNodeArgs(), bin] : [bin];
}
