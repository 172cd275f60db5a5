// istio/: the AuthorizationPolicies both Istio and the local mesh (mesh/src/policy) enforce,
// derived from the manifests' declared calls. Each ALLOW rule lists exactly the callers whose
// manifest declares that call (and the gateway for the edge's RPCs): least privilege by construction.

import type { Registry } from "@bufbuild/protobuf";
import { type App, derivedGrants, type Grant, gatewayWorkload } from "@weft/mesh/app";
import { generatedHeader, yamlList } from "./header.ts";

/** The mesh-wide mTLS policy: hand-written (it names no workload), listed by the generated kustomization. */
export const peerAuthenticationFile = "peer-authentication.yaml";

/** Principal of a workload as Istio's source.principals spells it (the SPIFFE id without spiffe://). */
export function principalOf(app: App, workload: string): string {
  return app.spiffeId(workload).slice("spiffe://".length);
}

/** Callers with the same paths share one rule, as a reviewer would write it. */
function rulesOf(grants: readonly Grant[]): { callers: string[]; paths: readonly string[] }[] {
  const rules: { callers: string[]; paths: readonly string[] }[] = [];
  for (const grant of grants) {
    const same = rules.find((rule) => rule.paths.join(" ") === grant.paths.join(" "));
    if (same !== undefined && grant.caller !== gatewayWorkload && !same.callers.includes(gatewayWorkload)) {
      same.callers.push(grant.caller);
    } else {
      rules.push({ callers: [grant.caller], paths: grant.paths });
    }
  }
  return rules;
}

function why(app: App, callee: string, callers: readonly string[]): string {
  if (callers[0] === gatewayWorkload) {
    const service = app.service(callee);
    const auth = app.manifest.edge.auth;
    const jwks = auth !== undefined && "rpc" in auth.jwks && service?.implements.includes(auth.jwks.rpc.split("/")[0]!);
    const parts = [
      ...(service?.edge ? [`the RPCs with a google.api.http route (${callee} is edge: true)`] : []),
      ...(jwks ? ["the JWKS method (weft.app.yaml edge.auth.jwks.rpc)"] : []),
    ];
    return `# The gateway: ${parts.join("\n    # and ")}.`;
  }
  return callers.length === 1
    ? `# ${callers[0]}: services/${callers[0]}/weft.yaml declares calls.${callee}.`
    : `# ${callers.join(", ")}: each declares calls.${callee} in its services/<name>/weft.yaml.`;
}

function servicePolicy(app: App, callee: string, grants: readonly Grant[]): string {
  const { namespace } = app.manifest;
  const rules = rulesOf(grants);
  const body = rules.map((rule) =>
    [
      `    ${why(app, callee, rule.callers)}`,
      "    - from:",
      "        - source:",
      "            principals:",
      yamlList(
        rule.callers.map((caller) => principalOf(app, caller)),
        14,
      ),
      "      to:",
      "        - operation:",
      '            methods: ["POST"]',
      "            paths:",
      yamlList(rule.paths, 14),
    ].join("\n"),
  );
  return [
    generatedHeader("services/*/weft.yaml (calls:, edge:) and the protos"),
    `# Who may call ${callee}: exactly the callers whose manifest declares the call; deny-all refuses the rest.`,
    ...(rules.length === 0
      ? ["# No manifest declares a call to it and it has no REST route on the edge: nobody may."]
      : []),
    "apiVersion: security.istio.io/v1",
    "kind: AuthorizationPolicy",
    "metadata:",
    `  name: ${callee}`,
    `  namespace: ${namespace}`,
    "spec:",
    "  selector:",
    "    matchLabels:",
    `      app: ${callee}`,
    "  action: ALLOW",
    ...(rules.length === 0 ? [] : ["  rules:", ...body]),
    "",
  ].join("\n");
}

function denyAll(app: App): string {
  return [
    generatedHeader("weft.app.yaml"),
    `# Zero trust baseline for ${app.manifest.name}: an ALLOW policy with no rules matches nothing, so once it`,
    `# applies to every workload in ${app.manifest.namespace}, a call is refused unless a per-service policy in`,
    "# this folder allows it explicitly.",
    "apiVersion: security.istio.io/v1",
    "kind: AuthorizationPolicy",
    "metadata:",
    "  name: deny-all",
    `  namespace: ${app.manifest.namespace}`,
    "spec: {}",
    "",
  ].join("\n");
}

function kustomization(app: App): string {
  return [
    generatedHeader("weft.app.yaml and services/*/weft.yaml"),
    "# Lets deploy/base apply this folder as it is (kustomize only reads files outside its own folder",
    "# through a kustomization there). No namespace here: the PeerAuthentication must stay in",
    "# istio-system to be mesh-wide. The local mesh's loader skips this file (it is no policy).",
    "apiVersion: kustomize.config.k8s.io/v1beta1",
    "kind: Kustomization",
    "resources:",
    yamlList([peerAuthenticationFile, "authz/deny-all.yaml", ...app.services.map((s) => `authz/${s.name}.yaml`)], 2),
    "",
  ].join("\n");
}

/**
 * Every generated file of istio/, by path relative to the app root: authz/deny-all.yaml, one
 * authz/<service>.yaml per service, and kustomization.yaml (peer-authentication.yaml is hand-written).
 */
export function renderPolicies(app: App, registry: Registry): Map<string, string> {
  const grants = derivedGrants(app, registry);
  const files = new Map<string, string>();
  files.set("istio/kustomization.yaml", kustomization(app));
  files.set("istio/authz/deny-all.yaml", denyAll(app));
  for (const service of app.services) {
    files.set(
      `istio/authz/${service.name}.yaml`,
      servicePolicy(
        app,
        service.name,
        grants.filter((grant) => grant.callee === service.name),
      ),
    );
  }
  return files;
}

/**
 * The who-may-call-what matrix as text, one line per granted RPC (`weft policy` prints it):
 * `<caller> → <callee> <path>`, callers in grant order, then "<service>: nobody" for services
 * no one may call.
 */
export function formatGrants(app: App, registry: Registry): string {
  const grants = derivedGrants(app, registry);
  const lines = grants.flatMap((grant) => grant.paths.map((path) => `${grant.caller} → ${grant.callee} ${path}`));
  for (const service of app.services) {
    if (!grants.some((grant) => grant.callee === service.name)) lines.push(`${service.name}: nobody may call it`);
  }
  return `${lines.join("\n")}\n`;
}
