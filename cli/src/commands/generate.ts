// `weft generate`: the app's code from its protos (buf generate, with the app's buf.gen.yaml) and
// the descriptors everything else reads them from (gen/weft.binpb: the gateway, the manifest checks).
import { contractsFile } from "@weft/mesh/app";
import { appRoot } from "../app.ts";
import { expectPositionals, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { appPath, bufCommand, runTool } from "../exec.ts";

export async function generate(root: string): Promise<void> {
  const buf = bufCommand();
  const env = { PATH: appPath(root) };
  await runTool(buf.command, [...buf.args, "generate"], { cwd: root, env });
  await runTool(buf.command, [...buf.args, "build", "--exclude-source-info", "-o", contractsFile], { cwd: root, env });
}

const usage = "";

export const generateCommand: Command = {
  name: "generate",
  usage,
  summary: `buf generate, then buf build -o ${contractsFile} (the descriptors the gateway and the checks read)`,
  async run(args) {
    expectPositionals(parse(args, {}, "weft generate").positionals, 0, "weft generate");
    await generate(appRoot());
    return 0;
  },
};
