// The command lines `weft dev` runs: each service's src/main.ts, and the gateway of @weft/gateway.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ServiceManifest } from "@weft/mesh/app";
import { resolveDependency, runningFromSource, sourceCondition, typescriptNodeArgs } from "../self.ts";

export interface Program {
  command: string;
  args: string[];
}

/**
 * A service: node itself with tsx's loader, not the tsx CLI, whose wrapper process would take a
 * SIGKILL and leave the real program running.
 */
export function serviceProgram(service: ServiceManifest): Program {
  return { command: process.execPath, args: [...typescriptNodeArgs(), join(service.dir, "src/main.ts")] };
}

type ConditionalExport = Record<string, string>;

/** The gateway: its built JavaScript when installed, its sources (through tsx) inside the repository. */
export function gatewayProgram(): Program {
  const manifestFile = resolveDependency("@weft/gateway/package.json");
  const exports = (JSON.parse(readFileSync(manifestFile, "utf8")) as { exports: Record<string, ConditionalExport> })
    .exports;
  const main = exports["./main"];
  const entry = main?.[runningFromSource ? sourceCondition : "default"];
  if (entry === undefined) throw new Error(`${manifestFile}: exports["./main"] is missing`);
  const file = join(dirname(manifestFile), entry);
  return runningFromSource
    ? { command: process.execPath, args: [...typescriptNodeArgs(), file] }
    : { command: process.execPath, args: [file] };
}
