// The command line `weft dev` runs for a workload: Node itself on the workload's bundle (not a
// wrapper process, which would take a SIGKILL and leave the real program running).
import { bundleNodeArgs } from "./build.ts";

export interface Program {
  command: string;
  args: string[];
}

/**
 * A young generation of 1 MB semi-spaces instead of V8's default (up to 16 MB): a workload on a
 * laptop idles or serves one developer, so more frequent scavenges cost nothing noticeable and
 * every process holds about 8 MB less (BENCHMARKS.md P5). Images keep V8's defaults.
 */
const devNodeArgs = ["--max-semi-space-size=1"];

export function bundleProgram(file: string): Program {
  return { command: process.execPath, args: [...bundleNodeArgs, ...devNodeArgs, file] };
}
