// What the CLI's tests need from this repository: where it is, the CLI run as a user runs it, and
// the Weft packages built once per test run (the external-app test packs them; the scaffold test
// runs a scaffolded service against them) however many test files ask at the same time.
import { execFile } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

export const repositoryRoot = new URL("../../../", import.meta.url).pathname;
/** node_modules/.bin first: the pinned Node, buf, tsx. */
export const toolPath = `${join(repositoryRoot, "node_modules/.bin")}:${process.env.PATH ?? ""}`;

const run = promisify(execFile);
const tsxLoader = pathToFileURL(join(repositoryRoot, "node_modules/tsx/dist/loader.mjs")).href;

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** `weft <args>` from the CLI's sources in `cwd`, as the Makefile runs it; never throws on a non-zero exit. */
export async function weft(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(
      "node",
      // tsx by path: a bare `--import tsx` resolves from cwd, which may be outside the repository.
      ["--conditions=weft-source", "--import", tsxLoader, join(repositoryRoot, "cli/src/bin.ts"), ...args],
      { cwd, env: { ...process.env, PATH: toolPath, ...env }, maxBuffer: 64 * 1024 * 1024 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === "number" ? failed.code : 1,
      stdout: failed.stdout ?? "",
      stderr: failed.stderr ?? "",
    };
  }
}

let built: Promise<void> | undefined;

/**
 * `npm run build` (tsc for mesh, gateway, cli) once per test process: a lock folder next to the
 * system's temp files keeps two test files (two vitest workers) from writing dist/ at once.
 */
export function buildPackages(): Promise<void> {
  built ??= (async () => {
    const lock = join(tmpdir(), `weft-build-${Buffer.from(repositoryRoot).toString("base64url")}.lock`);
    const deadline = Date.now() + 300_000;
    for (;;) {
      try {
        mkdirSync(lock);
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`${lock}: held for 5 minutes; remove it if no build is running`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    try {
      await run("npm", ["run", "--silent", "build"], { cwd: repositoryRoot, env: { ...process.env, PATH: toolPath } });
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  })();
  return built;
}
