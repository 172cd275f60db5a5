// `weft policy`: who may call what, exactly as derived from the manifests (the AuthorizationPolicies
// `weft manifests` writes say the same). Deny is the default: an RPC nobody is listed for is refused.
import { type App, checkAppContracts, derivedGrants, type Grant, loadContracts } from "@weft/mesh/app";
import { currentApp } from "../app.ts";
import { expectPositionals, parse } from "../args.ts";
import type { Command } from "../command.ts";

/** The matrix as text: per callee, each caller and the RPCs it may call (`Service/Method`). */
export function policyMatrix(app: App, grants: readonly Grant[]): string {
  if (app.services.length === 0) return `${app.manifest.name} has no services yet: nothing may be called.\n`;
  const width = Math.max(...grants.map((g) => g.caller.length), "caller".length);
  const lines: string[] = [];
  for (const service of app.services) {
    lines.push(`${service.name} (${service.implements.join(", ")})`);
    const callers = grants.filter((g) => g.callee === service.name);
    if (callers.length === 0) lines.push("  nobody may call it");
    for (const grant of callers)
      lines.push(`  ${grant.caller.padEnd(width)}  ${grant.paths.map(shortPath).join(", ")}`);
    lines.push("");
  }
  return lines.join("\n");
}

/** "/shop.catalog.v1.CatalogService/GetProduct" → "CatalogService/GetProduct". */
function shortPath(path: string): string {
  const [, service = "", method = ""] = path.split("/");
  return `${service.slice(service.lastIndexOf(".") + 1)}/${method}`;
}

export const policyCommand: Command = {
  name: "policy",
  usage: "[--json]",
  summary: "print who may call what (each service's callers and their RPCs), derived from the manifests",
  async run(args) {
    const { values, positionals } = parse(args, { json: { type: "boolean" } }, "weft policy [--json]");
    expectPositionals(positionals, 0, "weft policy [--json]");
    const app = currentApp();
    const registry = loadContracts(app.root);
    checkAppContracts(app, registry);
    const grants = derivedGrants(app, registry);
    process.stdout.write(values.json ? `${JSON.stringify(grants, null, 2)}\n` : policyMatrix(app, grants));
    return 0;
  },
};
