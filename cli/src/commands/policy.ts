// `weft policy`: who may call what, exactly as derived from the manifests (the AuthorizationPolicies
// `weft manifests` writes say the same). Deny is the default: an RPC nobody is listed for is refused.
import { checkAppContracts, derivedGrants, loadContracts } from "@weft/mesh/app";
import { currentApp } from "../app.ts";
import { expectPositionals, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { formatGrants } from "../derive/index.ts";

const usage = "weft policy [--json]";

export const policyCommand: Command = {
  name: "policy",
  usage: "[--json]",
  summary: "print who may call what (caller → service RPC, one line each), derived from the manifests",
  async run(args) {
    const { values, positionals } = parse(args, { json: { type: "boolean" } }, usage);
    expectPositionals(positionals, 0, usage);
    const app = currentApp();
    const registry = loadContracts(app.root);
    checkAppContracts(app, registry);
    process.stdout.write(
      values.json ? `${JSON.stringify(derivedGrants(app, registry), null, 2)}\n` : formatGrants(app, registry),
    );
    return 0;
  },
};
