// `weft new app <dir> [--packages <folder of .tgz>]`: a new app with a gateway and no services yet.
import { relative } from "node:path";
import { expectPositionals, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { scaffoldApp } from "../scaffold/app.ts";

const usage = "weft new app <dir> [--packages <folder of .tgz>]";

export const newAppCommand: Command = {
  name: "new app",
  usage: "<dir> [--packages <folder of .tgz>]",
  summary: "create an app (its name is the folder's) depending on the Weft packages, from the registry or tarballs",
  async run(args) {
    const { values, positionals } = parse(args, { packages: { type: "string" } }, usage);
    expectPositionals(positionals, 1, usage);
    const { root, files } = scaffoldApp(positionals[0]!, values.packages);
    for (const file of files) process.stdout.write(`created ${file.path}\n`);
    const where = relative(process.cwd(), root) || ".";
    process.stdout.write(`\nNext:\n  cd ${where}\n  npm install\n  npx weft new service notes\n  npx weft dev\n\n`);
    return 0;
  },
};
