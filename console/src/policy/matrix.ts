// The who-may-call-what matrix from the derived grants, with the live decisions laid over it, and
// for a deny the manifest entry that would grant it.

import { type ConsoleApp, type Grant, gatewayWorkload, manifestMethod, ownerOf, splitPath } from "../app.ts";
import { type AuthzDecision, workloadOf } from "../authz/decision.ts";

export interface MatrixCell {
  caller: string;
  callee: string;
  /** Paths granted by the manifests. */
  granted: string[];
  /** Decisions seen in the window, by outcome. */
  allows: number;
  denies: number;
  /** Paths that were denied, with counts. */
  deniedPaths: Record<string, number>;
}

export interface PolicyMatrix {
  callers: string[];
  callees: string[];
  cells: MatrixCell[];
}

export function policyMatrix(
  app: ConsoleApp | undefined,
  grants: readonly Grant[],
  decisions: readonly AuthzDecision[],
): PolicyMatrix {
  const cells = new Map<string, MatrixCell>();
  const cell = (caller: string, callee: string) => {
    const key = `${caller}\u0000${callee}`;
    let c = cells.get(key);
    if (!c) {
      c = { caller, callee, granted: [], allows: 0, denies: 0, deniedPaths: {} };
      cells.set(key, c);
    }
    return c;
  };
  for (const grant of grants) cell(grant.caller, grant.callee).granted.push(...grant.paths);
  for (const d of decisions) {
    const c = cell(workloadOf(d.caller) ?? (d.caller || "(no identity)"), d.workload);
    if (d.decision === "allow") c.allows++;
    else {
      c.denies++;
      c.deniedPaths[d.method] = (c.deniedPaths[d.method] ?? 0) + 1;
    }
  }
  const services = app?.services.map((s) => s.name) ?? [];
  const callers = unique([gatewayWorkload, ...services, ...[...cells.values()].map((c) => c.caller)]);
  const callees = unique([...services, ...[...cells.values()].map((c) => c.callee)]);
  return { callers, callees, cells: [...cells.values()] };
}

export interface GrantSuggestion {
  /** The file to edit (relative to the app root when known). */
  file: string | undefined;
  /** YAML to add there, or undefined when no manifest entry can grant it. */
  yaml: string | undefined;
  /** One sentence for people. */
  explanation: string;
}

/** What would have allowed a denied call, in the manifests' terms. */
export function grantSuggestion(
  app: ConsoleApp | undefined,
  grants: readonly Grant[],
  decision: AuthzDecision,
): GrantSuggestion {
  const caller = workloadOf(decision.caller);
  const [protoService] = splitPath(decision.method);
  const callee = ownerOf(app, protoService) ?? decision.workload;
  const method = manifestMethod(decision.method);
  if (caller === undefined) {
    return {
      file: undefined,
      yaml: undefined,
      explanation:
        "The caller presented no mesh identity (no client certificate with a SPIFFE id): no grant can allow it.",
    };
  }
  const granted = grants.some((g) => g.caller === caller && g.callee === callee && g.paths.includes(decision.method));
  if (granted) {
    return {
      file: undefined,
      yaml: undefined,
      explanation: `The manifests already grant ${caller} → ${callee} ${method}; the policy the server enforces is older than the manifests: regenerate the policies and restart ${callee}.`,
    };
  }
  if (caller === gatewayWorkload) {
    const file = manifestFile(app, callee);
    return {
      file,
      yaml: "edge: true",
      explanation: `The edge may call only RPCs with a google.api.http annotation of services with edge: true: set it in ${file ?? `${callee}'s weft.yaml`} and annotate ${method} in its proto.`,
    };
  }
  const service = app?.services.find((s) => s.name === caller);
  if (app !== undefined && service === undefined) {
    return {
      file: undefined,
      yaml: undefined,
      explanation: `${caller} is not a workload of this app (not a folder of services/ with a weft.yaml), so no manifest can grant it calls.`,
    };
  }
  const declared = service?.calls.find((c) => c.service === callee)?.methods.map(manifestMethod) ?? [];
  return {
    file: manifestFile(app, caller),
    yaml: `calls:\n  ${callee}: [${[...declared, method].join(", ")}]`,
    explanation: `Declare the call in ${caller}'s manifest; the derived AuthorizationPolicy of ${callee} then allows it.`,
  };
}

function manifestFile(app: ConsoleApp | undefined, service: string): string | undefined {
  const file = app?.services.find((s) => s.name === service)?.file;
  if (file === undefined) return app ? `services/${service}/weft.yaml` : undefined;
  return app?.root && file.startsWith(`${app.root}/`) ? file.slice(app.root.length + 1) : file;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
