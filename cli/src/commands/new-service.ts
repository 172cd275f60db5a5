// `weft new service <name>`: scaffold, then regenerate code and derived files.
import { loadApp } from "@weft/mesh/app";
import { appRoot } from "../app.ts";
import { expectPositionals, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { scaffoldService } from "../scaffold/service.ts";
import { generate } from "./generate.ts";
import { writeManifests } from "./manifests.ts";

const usage = "weft new service <name>";

export const newServiceCommand: Command = {
  name: "new service",
  usage: "<name>",
  summary: "scaffold a working service (proto, manifest, code, migration, tests), then regenerate what is derived",
  async run(args) {
    const { positionals } = parse(args, {}, usage);
    expectPositionals(positionals, 1, usage);
    const name = positionals[0]!;
    const root = appRoot();
    const files = scaffoldService(root, name);
    for (const file of files) process.stdout.write(`created ${file.path}\n`);
    process.stdout.write("weft generate\n");
    await generate(root);
    const changes = writeManifests(loadApp(root));
    for (const path of changes.created) process.stdout.write(`created ${path} (derived)\n`);
    for (const path of changes.changed) process.stdout.write(`updated ${path} (derived)\n`);
    const rest = `/v1/${name}/items`;
    process.stdout.write(
      [
        "",
        `${name}: ${files.length} files created, ${changes.created.length + changes.changed.length} derived files written (gen/ regenerated).`,
        `Next: weft dev, then  curl -s -X POST localhost:8080${rest} -H 'content-type: application/json' -d '{"name":"first"}'`,
        "",
      ].join("\n"),
    );
    return 0;
  },
};
