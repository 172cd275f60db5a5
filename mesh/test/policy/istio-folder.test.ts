// Checks the real policy source of truth in istio/ against the contracts in proto/: the call
// graph it encodes, that every path names a real RPC, and that the mesh-wide mTLS is STRICT.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hasOption } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { gatewayWorkload, servicesOf } from "../../src/app/index.ts";
import {
  accessDeniedMessage,
  loadPolicies,
  PolicyEngine,
  type PolicyRequest,
  parsePolicies,
  type Workload,
} from "../../src/policy/index.ts";
import { appWithContracts } from "../support/app.ts";

// Checks the real policy source of truth in istio/ against the app's manifests and protos: the
// call graph it encodes, that every path names a real RPC, and that the mesh-wide mTLS is STRICT.
const { app, registry } = appWithContracts();
const istioDir = join(app.root, "istio");
const namespace = app.manifest.namespace;
const services = app.services.map((service) => service.name);
const http = registry.getExtension("google.api.http")!;

interface Rpc {
  service: string;
  path: string;
  /** Has a google.api.http annotation: part of the REST surface the gateway serves. */
  isPublic: boolean;
}

const rpcs: Rpc[] = app.services.flatMap((service) =>
  servicesOf(registry, service.implements).flatMap((desc) =>
    desc.methods.map((method) => ({
      service: service.name,
      path: `/${desc.typeName}/${method.name}`,
      isPublic: hasOption(method, http),
    })),
  ),
);

const principalOf = (serviceAccount: string) => app.spiffeId(serviceAccount).slice("spiffe://".length);
const workloadOf = (service: string): Workload => ({ namespace, labels: { app: service } });
const grpcCall = (principal: string | undefined, path: string): PolicyRequest => ({ principal, path, method: "POST" });

// The intended call graph, read from the manifests rather than from istio/: the gateway reaches
// the public RPCs of edge: true services and the edge's JWKS method; each service reaches
// exactly the RPCs its calls: declare; nobody else calls anybody.
const jwks =
  app.manifest.edge.auth !== undefined && "rpc" in app.manifest.edge.auth.jwks
    ? `/${app.manifest.edge.auth.jwks.rpc}`
    : undefined;
function intendedToAllow(caller: string | undefined, rpc: Rpc): boolean {
  if (caller === principalOf(gatewayWorkload)) {
    return (rpc.isPublic && app.service(rpc.service)?.edge === true) || rpc.path === jwks;
  }
  const declaring = app.services.find((service) => principalOf(service.name) === caller);
  return declaring?.calls.some((call) => call.service === rpc.service && call.methods.includes(rpc.path)) ?? false;
}

const policies = loadPolicies(istioDir);
const engine = new PolicyEngine(policies);

describe("istio/ AuthorizationPolicies", () => {
  it("has the app-wide allow-nothing baseline", () => {
    const denyAll = policies.find((policy) => policy.name === "deny-all");
    expect(denyAll).toMatchObject({ namespace, action: "ALLOW", selector: undefined, rules: [] });
  });

  it.each(services)("gives %s exactly one ALLOW policy, selecting it by app label", (service) => {
    const own = policies.filter(
      (policy) => policy.action === "ALLOW" && policy.selector !== undefined && policy.selector.app === service,
    );
    expect(own).toHaveLength(1);
    expect(own[0]).toMatchObject({ name: service, namespace, selector: { app: service } });
  });

  it("has no policy beyond deny-all and the services' own, and no DENY policy", () => {
    expect(policies.map((policy) => policy.name).sort()).toEqual(["deny-all", ...services].sort());
    expect(policies.filter((policy) => policy.action === "DENY")).toEqual([]);
  });

  it("names only real RPCs, by exact path, of the service the policy protects", () => {
    const known = new Map(rpcs.map((rpc) => [rpc.path, rpc.service]));
    for (const policy of policies) {
      for (const rule of policy.rules) {
        for (const operation of rule.to ?? []) {
          for (const path of [...(operation.paths ?? []), ...(operation.notPaths ?? [])]) {
            expect(path, `${policy.source}: ${path}`).not.toContain("*");
            expect(known.get(path), `${policy.source}: ${path}`).toBe(policy.selector?.app);
          }
        }
      }
    }
  });

  it("lets orders charge a payment and refuses the gateway and unauthenticated callers", () => {
    const charge = "/shop.payments.v1.PaymentService/Charge";
    const payments = workloadOf("payments");
    expect(engine.decide(payments, grpcCall(principalOf("orders"), charge))).toEqual({
      allowed: true,
      reason: "allowed by ALLOW policy shop/payments",
      policy: "shop/payments",
      rule: 0,
    });
    expect(engine.decide(payments, grpcCall(principalOf("gateway"), charge)).allowed).toBe(false);
    const anonymous = engine.decide(payments, grpcCall(undefined, charge));
    expect(anonymous.allowed).toBe(false);
    expect(anonymous.reason).toMatch(/shop\/deny-all, shop\/payments/);
    expect(accessDeniedMessage).toBe("RBAC: access denied");
  });

  // Every (caller, RPC) pair, derived from proto/ and the intended call graph, not hand-listed.
  const callers: (string | undefined)[] = [
    ...[gatewayWorkload, ...services].map(principalOf),
    "cluster.local/ns/elsewhere/sa/gateway", // right name, wrong namespace
    undefined,
  ];
  const matrix = callers.flatMap((caller) => rpcs.map((rpc) => ({ caller: caller ?? "(unauthenticated)", rpc })));
  it.each(matrix)("$caller → $rpc.path", ({ caller, rpc }) => {
    const principal = caller === "(unauthenticated)" ? undefined : caller;
    const decision = engine.decide(workloadOf(rpc.service), grpcCall(principal, rpc.path));
    expect(decision.allowed, decision.reason).toBe(intendedToAllow(principal, rpc));
  });

  it("allows nothing over a non-gRPC method, even on an allowed path", () => {
    const decision = engine.decide(workloadOf("payments"), {
      principal: principalOf("orders"),
      path: "/shop.payments.v1.PaymentService/Charge",
      method: "GET",
    });
    expect(decision.allowed).toBe(false);
  });

  it("refuses an unsupported field added to a real policy, naming the file and the policy", () => {
    const file = join(istioDir, "authz", "payments.yaml");
    const tampered = readFileSync(file, "utf8").replace(
      "    - from:",
      "    - when: [{key: 'request.headers[x-debug]', values: ['1']}]\n      from:",
    );
    expect(() => parsePolicies(tampered, file)).toThrow(
      `${file} (document 1) AuthorizationPolicy shop/payments: spec.rules[0].when is unsupported by the local mesh`,
    );
  });
});

describe("istio/peer-authentication.yaml", () => {
  const text = readFileSync(join(istioDir, "peer-authentication.yaml"), "utf8");

  it("requires mutual TLS mesh-wide (STRICT in the root namespace)", () => {
    expect(parseYaml(text)).toMatchObject({
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: "istio-system" },
      spec: { mtls: { mode: "STRICT" } },
    });
  });

  it("stays out of the policy engine", () => {
    expect(parsePolicies(text, "peer-authentication.yaml")).toEqual([]);
  });
});
