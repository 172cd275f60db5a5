// `weft rollout <workload> <version>` / `weft rollback <workload>`: the canary procedure of
// rollout.sh (kubectl + istioctl), for this app's namespace and workloads (from the manifests).
import { join } from "node:path";
import type { App } from "@weft/mesh/app";
import { currentApp } from "../app.ts";
import { expectPositionals, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { workloadNames } from "../derive/index.ts";
import { UsageError } from "../errors.ts";
import { runTool } from "../exec.ts";
import { packageRoot } from "../self.ts";

async function rolloutScript(app: App, args: string[]): Promise<number> {
  const workload = args[1]!;
  const known = workloadNames(app);
  if (!known.includes(workload)) {
    throw new UsageError(`${workload} is not a workload of ${app.manifest.name} (workloads: ${known.join(", ")})`);
  }
  await runTool("bash", [join(packageRoot, "rollout.sh"), ...args], {
    cwd: app.root,
    env: { NAMESPACE: process.env.NAMESPACE ?? app.manifest.namespace, WORKLOADS: known.join(" ") },
  });
  return 0;
}

export const rolloutCommand: Command = {
  name: "rollout",
  usage: "<workload> <version>",
  summary: "canary a workload at an image tag: 10 → 50 → 100 % with a gate between steps, then promote",
  async run(args) {
    const usage = "weft rollout <workload> <version>";
    const { positionals } = parse(args, {}, usage);
    expectPositionals(positionals, 2, usage);
    return rolloutScript(currentApp(), ["rollout", ...positionals]);
  },
};

export const rollbackCommand: Command = {
  name: "rollback",
  usage: "<workload>",
  summary: "send all of a workload's traffic back to stable and remove its canary",
  async run(args) {
    const usage = "weft rollback <workload>";
    const { positionals } = parse(args, {}, usage);
    expectPositionals(positionals, 1, usage);
    return rolloutScript(currentApp(), ["rollback", ...positionals]);
  },
};
