import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadPolicies, PolicyParseError, parsePolicies } from "../../src/policy/index.ts";

function policyYaml(name: string, spec: string): string {
  return `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: ${name}
  namespace: shop
spec:
${spec}
`;
}

describe("parsePolicies", () => {
  it("reads the typed model and skips other kinds and empty documents", () => {
    const text = [
      "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: istio-system}\nspec: {mtls: {mode: STRICT}}",
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs}\nspec: {hosts: [a]}",
      policyYaml(
        "payments",
        `  selector: {matchLabels: {app: payments}}
  action: ALLOW
  rules:
  - from: [{source: {principals: ["cluster.local/ns/shop/sa/orders"]}}]
    to: [{operation: {methods: ["POST"], paths: ["/shop.payments.v1.PaymentService/Charge"]}}]
  - {}`,
      ),
      "",
    ].join("\n---\n");
    expect(parsePolicies(text, "mixed.yaml")).toEqual([
      {
        name: "payments",
        namespace: "shop",
        action: "ALLOW",
        selector: { app: "payments" },
        rules: [
          {
            from: [{ principals: ["cluster.local/ns/shop/sa/orders"] }],
            to: [{ methods: ["POST"], paths: ["/shop.payments.v1.PaymentService/Charge"] }],
          },
          { from: undefined, to: undefined },
        ],
        source: "mixed.yaml",
      },
    ]);
  });

  it("reads spec: {} as an ALLOW with no rules, and accepts v1beta1", () => {
    const text = policyYaml("deny-all", "  {}").replace("security.istio.io/v1", "security.istio.io/v1beta1");
    expect(parsePolicies(text, "deny-all.yaml")).toEqual([
      { name: "deny-all", namespace: "shop", action: "ALLOW", selector: undefined, rules: [], source: "deny-all.yaml" },
    ]);
  });

  it("returns nothing for an empty text", () => {
    expect(parsePolicies("", "empty.yaml")).toEqual([]);
    expect(parsePolicies("# only a comment\n", "comment.yaml")).toEqual([]);
  });

  // Fields Istio has but the local mesh cannot enforce faithfully: refused, never ignored.
  const unsupported: { field: string; spec: string }[] = [
    { field: "spec.action CUSTOM", spec: "  action: CUSTOM\n  provider: {name: ext-authz}" },
    { field: "spec.action AUDIT", spec: "  action: AUDIT" },
    { field: "spec.provider", spec: "  provider: {name: ext-authz}" },
    { field: "spec.targetRef", spec: "  targetRef: {kind: Gateway, name: gw}" },
    { field: "spec.targetRefs", spec: "  targetRefs: [{kind: Service, name: svc}]" },
    { field: "spec.rules[0].when", spec: "  rules:\n  - when: [{key: 'request.headers[x]', values: [y]}]" },
    {
      field: "spec.rules[0].from[0].source.requestPrincipals",
      spec: "  rules:\n  - from: [{source: {requestPrincipals: ['*']}}]",
    },
    {
      field: "spec.rules[0].from[0].source.ipBlocks",
      spec: "  rules:\n  - from: [{source: {ipBlocks: [10.0.0.0/8]}}]",
    },
    { field: "spec.rules[0].to[0].operation.hosts", spec: "  rules:\n  - to: [{operation: {hosts: [a.example]}}]" },
    { field: "spec.rules[0].to[0].operation.ports", spec: "  rules:\n  - to: [{operation: {ports: ['8080']}}]" },
  ];
  it.each(unsupported)("refuses $field naming the file and the policy", ({ field, spec }) => {
    const parse = () => parsePolicies(policyYaml("payments", spec), "istio/authz/payments.yaml");
    expect(parse).toThrow(PolicyParseError);
    expect(parse).toThrow(
      `istio/authz/payments.yaml (document 1) AuthorizationPolicy shop/payments: ${field} is unsupported by the local mesh`,
    );
  });

  const malformed: { problem: string; spec: string; message: RegExp }[] = [
    { problem: "unknown action", spec: "  action: PERMIT", message: /spec.action must be ALLOW or DENY/ },
    { problem: "typo in a field", spec: "  rule: []", message: /spec.rule is not a known field/ },
    {
      problem: "typo in a source field",
      spec: "  rules:\n  - from: [{source: {principal: [a]}}]",
      message: /spec.rules\[0\].from\[0\].source.principal is not a known field/,
    },
    { problem: "rules not a list", spec: "  rules: {}", message: /spec.rules must be a list/ },
    {
      problem: "empty source",
      spec: "  rules:\n  - from: [{source: {}}]",
      message: /source must set at least one field/,
    },
    {
      problem: "empty value list",
      spec: "  rules:\n  - to: [{operation: {paths: []}}]",
      message: /paths is an empty list/,
    },
    { problem: "empty from list", spec: "  rules:\n  - from: []", message: /from is an empty list/ },
    {
      problem: "wildcard in the middle",
      spec: "  rules:\n  - to: [{operation: {paths: ['/shop.*.v1/Get']}}]",
      message: /paths\[0\] is "\/shop.\*.v1\/Get", but "\*" is only allowed/,
    },
    {
      problem: "number instead of string",
      spec: "  rules:\n  - to: [{operation: {ports: [1]}}]\n",
      message: /ports is unsupported/,
    },
    {
      problem: "non-string value",
      spec: "  rules:\n  - to: [{operation: {methods: [1]}}]",
      message: /methods\[0\] must be a string/,
    },
    {
      problem: "non-string label",
      spec: "  selector: {matchLabels: {version: 2}}",
      message: /spec.selector.matchLabels.version must be a string/,
    },
    {
      problem: "missing source wrapper",
      spec: "  rules:\n  - from: [{principals: [a]}]",
      message: /from\[0\].principals is not a known field/,
    },
  ];
  it.each(malformed)("refuses $problem", ({ spec, message }) => {
    const parse = () => parsePolicies(policyYaml("orders", spec), "orders.yaml");
    expect(parse).toThrow(message);
    expect(parse).toThrow(/^orders.yaml \(document 1\) AuthorizationPolicy shop\/orders: /);
  });

  it("requires metadata.namespace rather than guessing one", () => {
    const text = "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: x}\nspec: {}";
    expect(() => parsePolicies(text, "x.yaml")).toThrow(
      "x.yaml (document 1) AuthorizationPolicy x: metadata.namespace must be",
    );
  });

  it("reports invalid YAML with the file and document", () => {
    const text = `${policyYaml("ok", "  {}")}---\nkind: [unclosed`;
    expect(() => parsePolicies(text, "broken.yaml")).toThrow(/^broken.yaml \(document 2\): invalid YAML/);
  });
});

describe("loadPolicies", () => {
  const dir = mkdtempSync(join(tmpdir(), "weft-policies-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads *.yaml and *.yml recursively, sorted by path, and ignores other files", () => {
    mkdirSync(join(dir, "authz", "nested"), { recursive: true });
    writeFileSync(join(dir, "authz", "nested", "b.yml"), policyYaml("b", "  {}"));
    writeFileSync(join(dir, "authz", "a.yaml"), policyYaml("a", "  {}"));
    writeFileSync(join(dir, "z.yaml"), policyYaml("z", "  {}"));
    writeFileSync(join(dir, "authz", "notes.md"), "not yaml: [");
    const loaded = loadPolicies(dir);
    expect(loaded.map((policy) => policy.name)).toEqual(["a", "b", "z"]);
    expect(loaded[0]?.source).toBe(join(dir, "authz", "a.yaml"));
  });
});
