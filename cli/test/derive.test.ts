// The derivations for an app that is not the shop: another namespace and trust domain, no edge
// auth, a service nobody calls. The shop's own output is checked by deploy/test (schemas,
// cross-checks, drift); this proves the templates carry nothing of the shop.

import { file_weft_echo_v1_counter } from "@weft/gen/weft/echo/v1/counter_pb.js";
import { file_weft_echo_v1_echo } from "@weft/gen/weft/echo/v1/echo_pb.js";
import { file_weft_echo_v1_events } from "@weft/gen/weft/echo/v1/events_pb.js";
import { afterAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { checkAppContracts, loadApp } from "../../mesh/src/app/index.ts";
import { PolicyEngine, parsePolicies } from "../../mesh/src/policy/index.ts";
import { appOnDisk, registryOf } from "../../mesh/test/app/fixture.ts";
import { renderEdge } from "../src/derive/edge.ts";
import { renderKustomizeBases } from "../src/derive/kustomize.ts";
import { renderDatabases } from "../src/derive/overlays.ts";
import { formatGrants, renderPolicies } from "../src/derive/policies.ts";
import { renderAll } from "../src/derive/render.ts";
import { workloadNames } from "../src/derive/workloads.ts";

const disk = appOnDisk({
  "weft.app.yaml": "name: demo\nnamespace: demo-ns\ntrustDomain: example.org\nedge: { port: 9000 }\n",
  "services/echo/weft.yaml":
    "name: echo\nimplements: [weft.echo.v1.EchoService]\nedge: true\npublishes: [weft.echo.v1.ThingNamed]\n",
  "services/counter-api/weft.yaml": `name: counter-api
implements: [weft.echo.v1.CounterService]
database: true
calls: { echo: [EchoService/Echo, EchoService/Count] }
settings: { COUNTER_LIMIT: "10" }
devSettings: { COUNTER_DEBUG: "1" }
`,
});
afterAll(() => disk.remove());
const app = loadApp(disk.root);
const registry = registryOf(file_weft_echo_v1_echo, file_weft_echo_v1_counter, file_weft_echo_v1_events);
checkAppContracts(app, registry);

describe("renderPolicies", () => {
  const files = renderPolicies(app, registry);
  const policies = [...files].flatMap(([path, text]) => parsePolicies(text, path));
  const engine = new PolicyEngine(policies);
  const decide = (caller: string, workload: string, path: string) =>
    engine.decide(
      { namespace: "demo-ns", labels: { app: workload } },
      { principal: `example.org/ns/demo-ns/sa/${caller}`, path, method: "POST" },
    ).allowed;

  it("writes deny-all, one policy per service and the kustomization", () => {
    expect([...files.keys()]).toEqual([
      "istio/kustomization.yaml",
      "istio/authz/deny-all.yaml",
      "istio/authz/counter-api.yaml",
      "istio/authz/echo.yaml",
    ]);
    expect(parse(files.get("istio/kustomization.yaml")!).resources).toEqual([
      "peer-authentication.yaml",
      "authz/deny-all.yaml",
      "authz/counter-api.yaml",
      "authz/echo.yaml",
    ]);
  });

  it("grants exactly the declared calls, in the app's namespace and trust domain", () => {
    expect(decide("counter-api", "echo", "/weft.echo.v1.EchoService/Echo")).toBe(true);
    expect(decide("counter-api", "echo", "/weft.echo.v1.EchoService/Count")).toBe(true);
    expect(decide("counter-api", "echo", "/weft.echo.v1.EchoService/Chat")).toBe(false);
    // echo is edge: true but has no google.api.http route: the gateway gets nothing.
    expect(decide("gateway", "echo", "/weft.echo.v1.EchoService/Echo")).toBe(false);
    // Nobody declares a call to counter-api: its policy has no rule, so deny-all decides.
    expect(decide("echo", "counter-api", "/weft.echo.v1.CounterService/GetCounter")).toBe(false);
    expect(files.get("istio/authz/counter-api.yaml")).toContain("nobody may");
    expect(files.get("istio/authz/echo.yaml")).toContain("- example.org/ns/demo-ns/sa/counter-api");
  });

  it("prints the matrix weft policy shows", () => {
    expect(formatGrants(app, registry)).toBe(
      [
        "counter-api → echo /weft.echo.v1.EchoService/Echo",
        "counter-api → echo /weft.echo.v1.EchoService/Count",
        "counter-api: nobody may call it",
        "",
      ].join("\n"),
    );
  });
});

describe("renderKustomizeBases", () => {
  const files = renderKustomizeBases(app, registry);
  const objects = (path: string) =>
    parseAllDocuments(files.get(path)!).map((document) => document.toJS() as Record<string, unknown>);

  it("lists one workload file per service and the gateway", () => {
    expect(workloadNames(app)).toEqual(["counter-api", "echo", "gateway"]);
    expect(parse(files.get("deploy/base/kustomization.yaml")!).resources).toEqual([
      "namespace.yaml",
      "mesh-config.yaml",
      "../../istio",
      "workloads/counter-api.yaml",
      "workloads/echo.yaml",
      "workloads/gateway.yaml",
      "../istio/ingress",
      "../istio/edge",
    ]);
  });

  it("gives a service its database, its declared upstreams' addresses and its settings, not its devSettings", () => {
    const deployment = objects("deploy/base/workloads/counter-api.yaml").find((o) => o.kind === "Deployment")!;
    const container = (deployment as unknown as { spec: { template: { spec: { containers: { env: unknown[] }[] } } } })
      .spec.template.spec.containers[0]!;
    expect(container.env).toEqual([
      { name: "DATABASE_URL", valueFrom: { secretKeyRef: { name: "counter-api-database", key: "url" } } },
      { name: "ECHO_ADDR", value: "dns:///echo.demo-ns.svc.cluster.local:50051" },
      { name: "COUNTER_LIMIT", value: "10" },
    ]);
    for (const object of objects("deploy/base/workloads/counter-api.yaml")) {
      expect((object as unknown as { metadata: { namespace: string } }).metadata.namespace).toBe("demo-ns");
    }
  });

  it("routes each server stream without a timeout, and puts the gateway on the edge port", () => {
    const echo = objects("deploy/base/workloads/echo.yaml").find((o) => o.kind === "VirtualService")!;
    expect(JSON.stringify(echo)).toContain(
      '"match":[{"uri":{"exact":"/weft.echo.v1.EchoService/Count"}}],"timeout":"0s"',
    );
    const gateway = files.get("deploy/base/workloads/gateway.yaml")!;
    expect(gateway).toContain("containerPort: 9000");
    // The gateway reaches no service: echo has no REST route and there is no JWKS method.
    expect(gateway).not.toMatch(/_ADDR/);
  });

  it("sets no token settings for an app without edge.auth", () => {
    const config = parse(files.get("deploy/base/mesh-config.yaml")!) as { data: Record<string, string> };
    expect(config.data).toMatchObject({
      MESH_NAMESPACE: "demo-ns",
      MESH_TRUST_DOMAIN: "example.org",
      WEFT_APP_DIR: "/app",
    });
    expect(config.data.JWT_ISSUER).toBeUndefined();
  });
});

describe("renderEdge and the overlays", () => {
  it("verifies no token and lets only public routes through when the app has no edge.auth", () => {
    const edge = renderEdge(app, registry);
    const auth = parseAllDocuments(edge.get("deploy/istio/edge/request-authentication.yaml")!).map((d) => d.toJS());
    expect(auth.map((object) => object.kind)).toEqual(["AuthorizationPolicy", "AuthorizationPolicy"]);
    expect(JSON.stringify(auth[0])).not.toContain("requestPrincipals");
    expect(edge.get("deploy/istio/edge/gateway-access.yaml")).not.toContain("PeerAuthentication");
  });

  it("creates a role, database and Secret for each service with a database only", () => {
    const databases = renderDatabases(app);
    expect(databases).toContain(`CREATE ROLE "counter-api" LOGIN; CREATE DATABASE "counter-api" OWNER "counter-api";`);
    expect(databases).not.toContain("echo");
    expect(databases).toContain("postgres://counter-api@postgres.demo-ns-data.svc.cluster.local:5432/counter-api");
  });

  it("renders every generated file with the generated-file header", () => {
    for (const [path, text] of renderAll(app, registry, new Map())) {
      expect(text.split("\n")[0], path).toMatch(/^# GENERATED by weft manifests \(make manifests\) from /);
    }
  });
});
