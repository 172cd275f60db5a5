// `weft generate`: the app's code from its protos (buf generate, with the app's buf.gen.yaml) and
// the descriptors everything else reads them from (gen/weft.binpb: the gateway, the manifest checks).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { contractsFile } from "@weft/mesh/app";
import { parse as parseYaml } from "yaml";
import { appRoot } from "../app.ts";
import { expectPositionals, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { appPath, bufCommand, runTool } from "../exec.ts";

/** Whether any of the app's own buf modules (not those under node_modules) holds a .proto file. */
function hasOwnProtos(root: string): boolean {
  const config = parseYaml(readFileSync(join(root, "buf.yaml"), "utf8")) as { modules?: { path: string }[] };
  return (config.modules ?? [{ path: "." }])
    .map((module) => join(root, module.path))
    .filter((dir) => !dir.split(/[\\/]/).includes("node_modules") && existsSync(dir))
    .some((dir) => readdirSync(dir, { recursive: true }).some((file) => String(file).endsWith(".proto")));
}

export async function generate(root: string): Promise<void> {
  const output = join(root, contractsFile);
  if (!hasOwnProtos(root)) {
    // buf refuses a module without protos; an app without services has nothing to generate, and
    // an empty FileDescriptorSet (zero bytes) is what its gateway and checks should read.
    rmSync(join(root, "gen"), { recursive: true, force: true });
    mkdirSync(dirname(output), { recursive: true });
    writeFileSync(output, new Uint8Array());
    process.stdout.write(`no protos yet: wrote an empty ${contractsFile}\n`);
    return;
  }
  const buf = bufCommand();
  const env = { PATH: appPath(root) };
  await runTool(buf.command, [...buf.args, "generate"], { cwd: root, env });
  await runTool(buf.command, [...buf.args, "build", "--exclude-source-info", "-o", contractsFile], { cwd: root, env });
}

const usage = "weft generate";

export const generateCommand: Command = {
  name: "generate",
  usage: "",
  summary: `buf generate, then buf build -o ${contractsFile} (the descriptors the gateway and the checks read)`,
  async run(args) {
    expectPositionals(parse(args, {}, usage).positionals, 0, usage);
    await generate(appRoot());
    return 0;
  },
};
