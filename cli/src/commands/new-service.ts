// `weft new service <name>`: scaffold, then regenerate everything derived — the lockfile entry of
// the new workspace, gen/ and gen/weft.binpb, istio/ policies and kustomize bases — so the app
// serves and tests the service with no edit anywhere.
import { loadApp } from "@weft/mesh/app";
import { appRoot } from "../app.ts";
import { expectPositionals, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { runTool } from "../exec.ts";
import { addWorkspaceToLockfile } from "../scaffold/lockfile.ts";
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
    const changed: string[] = [];
    const lockfile = addWorkspaceToLockfile(root, `services/${name}`);
    if (lockfile === "needs-npm") {
      await runTool("npm", ["install", "--package-lock-only", "--no-audit", "--no-fund"], { cwd: root });
    }
    if (lockfile === "updated" || lockfile === "needs-npm") changed.push("package-lock.json");
    process.stdout.write("weft generate\n");
    await generate(root);
    const app = loadApp(root);
    const manifests = writeManifests(app);
    const created = manifests.created;
    changed.push(...manifests.changed);
    for (const path of created) process.stdout.write(`created ${path} (derived)\n`);
    for (const path of changed) process.stdout.write(`updated ${path} (derived)\n`);
    const url = `localhost:${app.manifest.edge.port}/v1/${name}/items`;
    process.stdout.write(
      [
        "",
        `${name}: ${files.length} files created from the template, ${created.length} derived files created, ${changed.length} derived files updated (gen/ regenerated).`,
        `Next: weft dev, then  curl -s -X POST ${url} -H 'content-type: application/json' -d '{"name":"first"}'`,
        "",
      ].join("\n"),
    );
    return 0;
  },
};
