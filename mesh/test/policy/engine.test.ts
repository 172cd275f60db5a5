// Decisions for Istio's documented AuthorizationPolicy examples, adapted to gRPC paths where the
// docs use HTTP ones. Each case states the policies as YAML, exactly as they would be applied.

import { describe, expect, it } from "vitest";
import { PolicyEngine, type PolicyRequest, parsePolicies, type Workload } from "../../src/policy/index.ts";

const sleep = "cluster.local/ns/default/sa/sleep";
const fooClient = "cluster.local/ns/foo/sa/client";
const barClient = "cluster.local/ns/bar/sa/client";
const testClient = "cluster.local/ns/test/sa/tester";

const httpbin: Workload = { namespace: "foo", labels: { app: "httpbin", version: "v1" } };
const other: Workload = { namespace: "bar", labels: { app: "other" } };

function request(principal: string | undefined, path: string, method = "POST"): PolicyRequest {
  return { principal, path, method };
}

const allowNothing = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-nothing, namespace: foo}
spec: {}
`;

const denyAll = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-all, namespace: foo}
spec:
  action: DENY
  rules:
  - {}
`;

const allowAll = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-all, namespace: foo}
spec:
  rules:
  - {}
`;

// Istio's reference example: sleep or anyone from namespace test, GET /info* or POST /data.
const httpbinAllow = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: httpbin, namespace: foo}
spec:
  selector:
    matchLabels: {app: httpbin, version: v1}
  action: ALLOW
  rules:
  - from:
    - source: {principals: ["${sleep}"]}
    - source: {namespaces: ["test"]}
    to:
    - operation: {methods: ["GET"], paths: ["/info*"]}
    - operation: {methods: ["POST"], paths: ["/data"]}
`;

// Istio's DENY example: refuse any request from outside namespace foo.
const denyOtherNamespaces = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-other-namespaces, namespace: foo}
spec:
  action: DENY
  rules:
  - from:
    - source: {notNamespaces: ["foo"]}
`;

// Deny everything except the health check, for callers other than a known principal.
const denyNotHealth = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-not-health, namespace: foo}
spec:
  action: DENY
  rules:
  - from:
    - source: {notPrincipals: ["${fooClient}"]}
    to:
    - operation: {notPaths: ["/grpc.health.v1.Health/Check"]}
`;

// Istio's "require mTLS" pattern: principals ["*"] matches any authenticated peer.
const requireAuthenticated = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: require-mtls, namespace: foo}
spec:
  rules:
  - from:
    - source: {principals: ["*"]}
`;

const prefixAndSuffix = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: prefix-suffix, namespace: foo}
spec:
  rules:
  - from:
    - source: {principals: ["cluster.local/ns/bar/*"]}
    to:
    - operation: {paths: ["/shop.catalog.v1.CatalogService/*"]}
  - from:
    - source: {principals: ["*/sa/sleep"]}
    to:
    - operation: {paths: ["*/GetProduct"], notMethods: ["GET"]}
`;

const rootDenyAdmin = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-admin, namespace: istio-system}
spec:
  action: DENY
  rules:
  - to:
    - operation: {paths: ["/admin.v1.AdminService/*"]}
`;

const selectorForOtherApp = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: only-reviews, namespace: foo}
spec:
  selector:
    matchLabels: {app: reviews}
`;

const policyInOtherNamespace = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allow-nothing, namespace: bar}
spec: {}
`;

const denySleepOnData = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-sleep-data, namespace: foo}
spec:
  action: DENY
  rules:
  - from:
    - source: {principals: ["${sleep}"]}
    to:
    - operation: {paths: ["/data"]}
`;

// A DENY with no rules matches nothing, so it changes nothing.
const denyNothing = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-nothing, namespace: foo}
spec:
  action: DENY
`;

interface Case {
  name: string;
  yaml: string[];
  workload?: Workload;
  request: PolicyRequest;
  allowed: boolean;
  reason?: RegExp;
}

const cases: Case[] = [
  // No policy at all: Istio allows.
  {
    name: "no policies → allow",
    yaml: [],
    request: request(sleep, "/data"),
    allowed: true,
    reason: /no ALLOW policy applies/,
  },

  // allow-nothing (spec: {}) denies everything in its namespace, and only there.
  {
    name: "allow-nothing denies",
    yaml: [allowNothing],
    request: request(sleep, "/data"),
    allowed: false,
    reason: /foo\/allow-nothing/,
  },
  {
    name: "allow-nothing ignores other namespaces",
    yaml: [allowNothing],
    workload: other,
    request: request(sleep, "/data"),
    allowed: true,
  },
  {
    name: "allow-nothing plus httpbin allows what httpbin allows",
    yaml: [allowNothing, httpbinAllow],
    request: request(sleep, "/data"),
    allowed: true,
    reason: /ALLOW policy foo\/httpbin/,
  },

  // deny-all (DENY with an empty rule) wins even over allow-all.
  { name: "deny-all denies", yaml: [denyAll], request: request(sleep, "/data"), allowed: false },
  {
    name: "deny-all beats allow-all",
    yaml: [allowAll, denyAll],
    request: request(sleep, "/data"),
    allowed: false,
    reason: /DENY policy foo\/deny-all/,
  },
  { name: "allow-all (empty rule) allows", yaml: [allowAll], request: request(undefined, "/x", "GET"), allowed: true },
  { name: "DENY without rules matches nothing", yaml: [denyNothing], request: request(sleep, "/data"), allowed: true },

  // Allow by principal or namespace, and method + path.
  { name: "httpbin: sleep POST /data", yaml: [httpbinAllow], request: request(sleep, "/data"), allowed: true },
  {
    name: "httpbin: sleep GET /info prefix",
    yaml: [httpbinAllow],
    request: request(sleep, "/info/status", "GET"),
    allowed: true,
  },
  {
    name: "httpbin: sleep GET /data (wrong method)",
    yaml: [httpbinAllow],
    request: request(sleep, "/data", "GET"),
    allowed: false,
    reason: /no rule of the ALLOW policies foo\/httpbin matched/,
  },
  {
    name: "httpbin: namespace test POST /data",
    yaml: [httpbinAllow],
    request: request(testClient, "/data"),
    allowed: true,
  },
  { name: "httpbin: other principal", yaml: [httpbinAllow], request: request(barClient, "/data"), allowed: false },
  { name: "httpbin: unauthenticated", yaml: [httpbinAllow], request: request(undefined, "/data"), allowed: false },
  {
    name: "httpbin: selector does not match another workload in foo",
    yaml: [httpbinAllow],
    workload: { namespace: "foo", labels: { app: "httpbin", version: "v2" } },
    request: request(barClient, "/data"),
    allowed: true,
  },

  // DENY with notNamespaces / notPrincipals / notPaths.
  {
    name: "notNamespaces: caller from bar denied",
    yaml: [denyOtherNamespaces],
    request: request(barClient, "/x"),
    allowed: false,
  },
  {
    name: "notNamespaces: caller from foo allowed",
    yaml: [denyOtherNamespaces],
    request: request(fooClient, "/x"),
    allowed: true,
  },
  {
    name: "notNamespaces: unauthenticated caller matches notNamespaces and is denied",
    yaml: [denyOtherNamespaces],
    request: request(undefined, "/x"),
    allowed: false,
  },
  {
    name: "notPaths: health check allowed for anyone",
    yaml: [denyNotHealth],
    request: request(undefined, "/grpc.health.v1.Health/Check"),
    allowed: true,
  },
  {
    name: "notPaths: other path denied for stranger",
    yaml: [denyNotHealth],
    request: request(barClient, "/shop.orders.v1.OrderService/GetOrder"),
    allowed: false,
  },
  {
    name: "notPrincipals: known principal not denied",
    yaml: [denyNotHealth],
    request: request(fooClient, "/shop.orders.v1.OrderService/GetOrder"),
    allowed: true,
  },
  {
    name: "notPrincipals: unauthenticated matches notPrincipals",
    yaml: [denyNotHealth],
    request: request(undefined, "/shop.orders.v1.OrderService/GetOrder"),
    allowed: false,
  },

  // Presence, prefix and suffix matching.
  {
    name: "principals * allows any peer",
    yaml: [requireAuthenticated],
    request: request(barClient, "/x"),
    allowed: true,
  },
  {
    name: "principals * refuses unauthenticated",
    yaml: [requireAuthenticated],
    request: request(undefined, "/x"),
    allowed: false,
  },
  {
    name: "prefix principal and prefix path",
    yaml: [prefixAndSuffix],
    request: request(barClient, "/shop.catalog.v1.CatalogService/ListProducts"),
    allowed: true,
  },
  {
    name: "prefix path does not match another service",
    yaml: [prefixAndSuffix],
    request: request(barClient, "/shop.orders.v1.OrderService/GetOrder"),
    allowed: false,
  },
  {
    name: "suffix principal and suffix path",
    yaml: [prefixAndSuffix],
    request: request(sleep, "/shop.catalog.v1.CatalogService/GetProduct"),
    allowed: true,
  },
  {
    name: "suffix rule excludes a method by notMethods",
    yaml: [prefixAndSuffix],
    request: request(sleep, "/shop.catalog.v1.CatalogService/GetProduct", "GET"),
    allowed: false,
  },

  // Root namespace policies apply to workloads in every namespace.
  {
    name: "root-namespace DENY applies in foo",
    yaml: [rootDenyAdmin],
    request: request(sleep, "/admin.v1.AdminService/Wipe"),
    allowed: false,
    reason: /istio-system\/deny-admin/,
  },
  {
    name: "root-namespace DENY applies in bar",
    yaml: [rootDenyAdmin],
    workload: other,
    request: request(sleep, "/admin.v1.AdminService/Wipe"),
    allowed: false,
  },
  {
    name: "root-namespace DENY leaves other paths",
    yaml: [rootDenyAdmin],
    workload: other,
    request: request(sleep, "/data"),
    allowed: true,
  },

  // Selectors and namespaces scope policies.
  {
    name: "selector not matching → policy ignored",
    yaml: [selectorForOtherApp],
    request: request(sleep, "/data"),
    allowed: true,
  },
  {
    name: "policy in another namespace ignored",
    yaml: [policyInOtherNamespace],
    request: request(sleep, "/data"),
    allowed: true,
  },

  // DENY takes precedence over a matching ALLOW.
  {
    name: "DENY beats matching ALLOW",
    yaml: [httpbinAllow, denySleepOnData],
    request: request(sleep, "/data"),
    allowed: false,
    reason: /DENY policy foo\/deny-sleep-data/,
  },
  {
    name: "DENY not matching leaves ALLOW in charge",
    yaml: [httpbinAllow, denySleepOnData],
    request: request(testClient, "/data"),
    allowed: true,
  },
];

describe("PolicyEngine.decide (Istio's documented examples)", () => {
  it.each(cases)("$name", ({ yaml, workload = httpbin, request, allowed, reason }) => {
    const policies = yaml.flatMap((text, index) => parsePolicies(text, `case-${index}.yaml`));
    const decision = new PolicyEngine(policies).decide(workload, request);
    expect(decision.allowed).toBe(allowed);
    if (reason !== undefined) expect(decision.reason).toMatch(reason);
  });
});

describe("PolicyEngine options and invariants", () => {
  it("honours a custom root namespace", () => {
    const policies = parsePolicies(rootDenyAdmin.replace("istio-system", "mesh-root"), "root.yaml");
    const call = request(sleep, "/admin.v1.AdminService/Wipe");
    expect(new PolicyEngine(policies).decide(other, call).allowed).toBe(true);
    expect(new PolicyEngine(policies, { rootNamespace: "mesh-root" }).decide(other, call).allowed).toBe(false);
  });

  it("refuses the same namespace/name twice", () => {
    const policies = [...parsePolicies(allowNothing, "a.yaml"), ...parsePolicies(allowNothing, "b.yaml")];
    expect(() => new PolicyEngine(policies)).toThrow(/foo\/allow-nothing is defined twice: in a.yaml and in b.yaml/);
  });
});
