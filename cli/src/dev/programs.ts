// The command line `weft dev` runs for a workload: Node itself on the workload's bundle (not a
// wrapper process, which would take a SIGKILL and leave the real program running).
import { bundleNodeArgs } from "./build.ts";

export interface Program {
  command: string;
  args: string[];
}

export function bundleProgram(file: string): Program {
  return { command: process.execPath, args: [...bundleNodeArgs, file] };
}
