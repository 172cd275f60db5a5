// `weft workloads`: the app's workload names (every service, then the gateway), space separated,
// for scripts such as the Makefile's image loop.
import { currentApp } from "../app.ts";
import { expectPositionals, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { workloadNames } from "../derive/index.ts";

const usage = "weft workloads";

export const workloadsCommand: Command = {
  name: "workloads",
  usage: "",
  summary: "print the workload names (the services and the gateway), space separated",
  async run(args) {
    expectPositionals(parse(args, {}, usage).positionals, 0, usage);
    process.stdout.write(`${workloadNames(currentApp()).join(" ")}\n`);
    return 0;
  },
};
