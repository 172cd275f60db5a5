// `weft build [workload…] [--out <dir>]`: the bundles `weft dev` runs (build.ts), for images: each
// named workload (default: all of them) into <dir>/<workload>/main.mjs, run with
// `node --enable-source-maps`. Only what is stale is built.
import { resolve } from "node:path";
import { currentApp } from "../app.ts";
import { parse } from "../args.ts";
import type { Command } from "../command.ts";
import { WorkloadBuilder, workloadsOf } from "../dev/build.ts";
import { UsageError } from "../errors.ts";

const usage = "weft build [workload…] [--out <dir>]";

export const buildCommand: Command = {
  name: "build",
  usage: "[workload…] [--out <dir>]",
  summary:
    "bundle workloads (default: every service and the gateway) into <dir>/<workload>/main.mjs (default .data/build)",
  async run(args) {
    const { values, positionals } = parse(args, { out: { type: "string" } }, usage);
    const app = currentApp();
    const all = workloadsOf(app);
    const unknown = positionals.filter((name) => !all.some((workload) => workload.name === name));
    if (unknown.length > 0) {
      throw new UsageError(`no workload ${unknown.join(", ")} (workloads: ${all.map((w) => w.name).join(", ")})`);
    }
    const chosen = positionals.length === 0 ? all : all.filter((workload) => positionals.includes(workload.name));
    const builder = new WorkloadBuilder({ outDir: resolve(app.root, values.out ?? ".data/build") });
    try {
      for (const outcome of await builder.build(chosen)) {
        process.stdout.write(`${outcome.built ? "built" : "up to date"} ${outcome.file}\n`);
      }
    } finally {
      await builder.close();
    }
    return 0;
  },
};
