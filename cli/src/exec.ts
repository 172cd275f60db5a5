// Running the tools the commands wrap (buf, npm, the rollout script), output passed through.
import { spawn } from "node:child_process";
import { delimiter, dirname, join } from "node:path";
import { resolveDependency } from "./self.ts";

export interface ToolOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Capture stdout instead of passing it through. */
  capture?: boolean;
}

/** Runs a command; resolves with its stdout when captured, rejects with one line when it fails. */
export function runTool(command: string, args: readonly string[], options: ToolOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["inherit", options.capture ? "pipe" : "inherit", "inherit"],
    });
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
    });
    child.once("error", (error) => reject(new Error(`${command}: ${error.message}`)));
    child.once("exit", (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${[command, ...args].join(" ")} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

/** PATH with the app's node_modules/.bin first, so buf finds the app's protoc plugins by name. */
export function appPath(root: string): string {
  return [join(root, "node_modules", ".bin"), process.env.PATH ?? ""].join(delimiter);
}

/** buf, from @weft/cli's own dependency: `node <its launcher>`, so no executable bit is needed. */
export function bufCommand(): { command: string; args: string[] } {
  const bin = join(dirname(resolveDependency("@bufbuild/buf/package.json")), "bin", "buf");
  return { command: process.execPath, args: [bin] };
}
