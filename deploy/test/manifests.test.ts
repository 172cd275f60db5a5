// The delivery manifests, rendered as `make manifests` renders them, validated against the
// Kubernetes schemas (kubernetes-models) and Istio's own CRD schemas, then cross-checked against
// proto/, the policies and each other. The last block breaks a manifest on purpose per check and
// proves the check notices.

import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { meshConfigMap } from "../../cli/src/derive/kustomize.ts";
import { workloadNames } from "../../cli/src/derive/workloads.ts";
import { isMap, type KubeObject, KustomizeError, objectId, render } from "../../scripts/manifests/kustomize.ts";
import { crossChecks, IstioSchemas, istioSchemaFile, repositoryRoot, schemaProblems } from "./checks.ts";
import { app } from "./contracts.ts";

const overlaysDir = join(repositoryRoot, "deploy", "overlays");
const overlays = readdirSync(overlaysDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
const rendered = new Map(overlays.map((overlay) => [overlay, render(join(overlaysDir, overlay))]));
const istio = new IstioSchemas();

const workloads = workloadNames(app);
const find = (objects: KubeObject[], kind: string, name: string, namespace = app.manifest.namespace): KubeObject => {
  const object = objects.find(
    (candidate) =>
      candidate.kind === kind && candidate.metadata.name === name && candidate.metadata.namespace === namespace,
  );
  if (object === undefined) throw new Error(`${kind} ${namespace}/${name} not rendered`);
  return object;
};
const at = (value: unknown, ...path: (string | number)[]): Record<string, unknown> => {
  let node = value;
  for (const key of path) node = Array.isArray(node) ? node[Number(key)] : isMap(node) ? node[key] : undefined;
  if (!isMap(node)) throw new Error(`nothing at ${path.join(".")}`);
  return node;
};
const container = (objects: KubeObject[], name: string) =>
  at(find(objects, "Deployment", name), "spec", "template", "spec", "containers", 0);

describe("rendering", () => {
  it("finds the overlays and the Istio schemas", () => {
    expect(overlays).toEqual(["dev", "prod"]);
    expect(istioSchemaFile).toMatch(/shared\/schemas\/istio-crd-all\.gen\.yaml$/);
  });

  it.each(overlays)("%s: renders every workload with its identity, Service, HPA, PDB and traffic rules", (overlay) => {
    const objects = rendered.get(overlay)!;
    for (const name of workloads) {
      for (const kind of [
        "ServiceAccount",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "DestinationRule",
        "VirtualService",
      ]) {
        expect(() => find(objects, kind, name), `${kind} ${name}`).not.toThrow();
      }
    }
    expect(find(objects, "PeerAuthentication", "default", "istio-system").spec).toEqual({ mtls: { mode: "STRICT" } });
    expect(
      objects.some((object) => object.kind === "Namespace" && object.metadata.name === app.manifest.namespace),
    ).toBe(true);
  });

  it("applies the overlays' images, patches and labels", () => {
    const dev = rendered.get("dev")!;
    const prod = rendered.get("prod")!;
    expect(container(dev, "orders").image).toBe("weft/orders:dev");
    expect(container(prod, "orders").image).toBe("registry.example.com/weft/orders:0.1.0");
    const env = (objects: KubeObject[]) =>
      (container(objects, "payments").env as { name: string; value?: string }[]).find(
        (e) => e.name === "PAYMENTS_FLAKY_FAILURE_RATE",
      )?.value;
    expect(env(dev)).toBe("0.5");
    expect(env(prod)).toBe("0");
    expect(find(dev, "HorizontalPodAutoscaler", "orders").spec).toMatchObject({ minReplicas: 1 });
    expect(find(prod, "HorizontalPodAutoscaler", "orders").spec).toMatchObject({ minReplicas: 3 });
    expect(at(find(dev, "Gateway", "weft", "istio-ingress"), "spec").servers).toEqual([
      { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] },
    ]);
    expect(find(prod, "Deployment", "orders").metadata.labels).toMatchObject({ "app.kubernetes.io/part-of": "weft" });
    expect(at(find(prod, "Deployment", "orders"), "spec", "template", "metadata").labels).toMatchObject({
      app: "orders",
      version: "stable",
      "app.kubernetes.io/part-of": "weft",
    });
    expect(prod.some((object) => object.metadata.namespace === "shop-data")).toBe(false);
  });

  it("commits no secret values outside the dev overlay (whose URLs carry no password)", () => {
    expect(rendered.get("prod")!.filter((object) => object.kind === "Secret")).toEqual([]);
    for (const secret of rendered.get("dev")!.filter((object) => object.kind === "Secret")) {
      expect(String(at(secret, "stringData").url)).toMatch(/^postgres:\/\/\w+@[\w.-]+:5432\/\w+$/);
    }
  });
});

describe.each(overlays)("%s overlay", (overlay) => {
  const objects = rendered.get(overlay)!;

  it("validates against kubernetes-models and Istio's CRD schemas (and @kubernetes-models/istio)", () => {
    expect(schemaProblems(objects, istio)).toEqual([]);
  });

  it.each(Object.keys(crossChecks) as (keyof typeof crossChecks)[])("cross-check %s passes", (check) => {
    expect(crossChecks[check](objects)).toEqual([]);
  });
});

describe("the checks catch broken manifests", () => {
  const broken = () => structuredClone(rendered.get("prod")!);

  it("a workload that opts out of the sidecar it is told it has", () => {
    const objects = broken();
    const template = at(find(objects, "Deployment", "payments"), "spec", "template");
    at(template, "metadata").annotations = { "sidecar.istio.io/inject": "false" };
    expect(crossChecks.sidecarProblems(objects)).toEqual([
      "Deployment shop/payments: MESH_SIDECAR_INJECTED=true but the pod opts out of sidecar injection",
    ]);
  });

  it("a probe on a port name that does not exist", () => {
    const objects = broken();
    at(container(objects, "gateway"), "livenessProbe", "httpGet").port = "admin";
    expect(crossChecks.probeProblems(objects)).toEqual([
      "Deployment shop/gateway gateway: livenessProbe port admin is no named container port",
    ]);
  });

  it("a gRPC probe on an unnamed port number", () => {
    const objects = broken();
    at(container(objects, "orders"), "readinessProbe", "grpc").port = 50052;
    expect(crossChecks.probeProblems(objects)).toHaveLength(1);
  });

  it("a principal without a ServiceAccount", () => {
    const objects = broken();
    const rules = at(find(objects, "AuthorizationPolicy", "payments"), "spec").rules as Record<string, unknown>[];
    at(rules[0], "from", 0, "source").principals = ["cluster.local/ns/shop/sa/billing"];
    expect(crossChecks.principalProblems(objects)).toEqual([
      "AuthorizationPolicy shop/payments: principal cluster.local/ns/shop/sa/billing is no ServiceAccount in the manifests",
    ]);
  });

  it("a policy path that is no RPC", () => {
    const objects = broken();
    const operation = at(find(objects, "AuthorizationPolicy", "payments"), "spec", "rules", 0, "to", 0, "operation");
    operation.paths = ["/shop.payments.v1.PaymentService/Chrage"];
    expect(crossChecks.policyPathProblems(objects)).toEqual([
      "AuthorizationPolicy shop/payments: /shop.payments.v1.PaymentService/Chrage is no RPC in proto/",
    ]);
  });

  it("canary weights of 90 + 20", () => {
    const objects = broken();
    const route = at(find(objects, "VirtualService", "orders"), "spec", "http", 1).route as Record<string, unknown>[];
    route[0]!.weight = 90;
    route[1]!.weight = 20;
    expect(crossChecks.weightProblems(objects)).toEqual([
      "VirtualService shop/orders route unary: weights sum to 110, not 100",
    ]);
  });

  it("a field Istio's CRD schema does not know, and a wrong type", () => {
    const objects = broken();
    at(find(objects, "DestinationRule", "orders"), "spec", "trafficPolicy").outlierDetections = { interval: "10s" };
    at(find(objects, "VirtualService", "orders"), "spec", "http", 1).timeout = 30;
    const problems = schemaProblems(objects, istio);
    expect(problems).toContainEqual(
      expect.stringMatching(/DestinationRule shop\/orders: Istio CRD schema: .*outlierDetections/),
    );
    expect(problems).toContainEqual(
      expect.stringMatching(/VirtualService shop\/orders: Istio CRD schema: \/spec\/http\/1\/timeout must be string/),
    );
  });

  it("a Kubernetes object of the wrong shape", () => {
    const objects = broken();
    at(find(objects, "Deployment", "orders"), "spec").replicas = "two";
    expect(schemaProblems(objects, istio)).toContainEqual(
      expect.stringMatching(/^Deployment shop\/orders: .*replicas/),
    );
  });

  it("Istio retries stacked on the client's, and a retrying edge route that is not idempotent", () => {
    const objects = broken();
    delete at(find(objects, "VirtualService", "catalog"), "spec", "http", 0).retries;
    (at(find(objects, "VirtualService", "gateway"), "spec", "http", 1).match as unknown[]).push({
      uri: { exact: "/shop.orders.v1.OrderService/PlaceOrder" },
    });
    expect(crossChecks.retryProblems(objects)).toEqual([
      "VirtualService shop/catalog route unary: mesh-internal routes must set retries.attempts: 0 (got undefined)",
      'VirtualService shop/gateway route idempotent: retries {"uri":{"exact":"/shop.orders.v1.OrderService/PlaceOrder"}}, which is not idempotent',
    ]);
  });

  it("client retries switched off in-cluster", () => {
    const objects = broken();
    at(find(objects, "ConfigMap", meshConfigMap(app)), "data").MESH_RETRY_MAX_ATTEMPTS = "1";
    expect(crossChecks.retryProblems(objects)).toHaveLength(workloads.length);
  });

  it("an upstream address without a policy, and a grant without an address", () => {
    const objects = broken();
    (container(objects, "gateway").env as unknown[]).push({
      name: "PAYMENTS_ADDR",
      value: "dns:///payments.shop.svc.cluster.local:50051",
    });
    const env = container(objects, "orders").env as { name: string }[];
    env.splice(
      env.findIndex((entry) => entry.name === "CATALOG_ADDR"),
      1,
    );
    expect(crossChecks.upstreamProblems(objects)).toEqual([
      "Deployment shop/gateway: PAYMENTS_ADDR is set but no policy lets gateway call payments",
      "AuthorizationPolicy shop/catalog: admits orders, whose Deployment has no CATALOG_ADDR",
    ]);
  });

  it("a grace period shorter than the drain", () => {
    const objects = broken();
    at(find(objects, "Deployment", "inventory"), "spec", "template", "spec").terminationGracePeriodSeconds = 20;
    expect(crossChecks.shutdownProblems(objects)).toContainEqual(
      "Deployment shop/inventory: terminationGracePeriodSeconds 20 < drain 25 s + 5 s margin",
    );
  });

  it("a public route behind the token, and a private one open", () => {
    const objects = broken();
    const rules = at(find(objects, "AuthorizationPolicy", "require-jwt", "istio-ingress"), "spec").rules as Record<
      string,
      unknown
    >[];
    // Login loses its public route and PlaceOrder gains one; every other public route stays.
    const operation = at(rules[2], "to", 0, "operation");
    operation.paths = [...(operation.paths as string[]).filter((path) => path !== "/v1/auth/login"), "/v1/orders"];
    expect(crossChecks.ingressJwtProblems(objects)).toEqual([
      "POST /v1/auth/login (/shop.identity.v1.IdentityService/Login): is public in proto/ but needs a token at the ingress",
      "POST /v1/orders (/shop.orders.v1.OrderService/PlaceOrder): needs a token per proto/ but passes the ingress without one",
    ]);
  });

  it("a server stream behind a route timeout", () => {
    const objects = broken();
    at(find(objects, "VirtualService", "orders"), "spec", "http", 0).timeout = "30s";
    expect(crossChecks.streamingRouteProblems(objects)).toEqual([
      "/shop.orders.v1.OrderService/WatchOrder: its route must disable the timeout (0s)",
    ]);
  });

  it("the renderer refuses kustomize fields it does not implement", () => {
    expect(() => render(join(repositoryRoot, "deploy", "test", "fixtures", "unsupported"))).toThrow(KustomizeError);
    expect(() => render(join(repositoryRoot, "deploy", "test", "fixtures", "unsupported"))).toThrow(
      /field "configMapGenerator" is not implemented by scripts\/manifests/,
    );
  });
});

// Where kubectl is installed, the built-in renderer must produce the same objects as
// `kubectl kustomize` (order aside: kubectl sorts by its own rules), so the subset cannot drift.
const kubectl = spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;
describe.skipIf(!kubectl)("the built-in renderer against kubectl kustomize", () => {
  it.each(overlays)("%s: identical objects", (overlay) => {
    const output = execFileSync("kubectl", ["kustomize", join(overlaysDir, overlay)], { encoding: "utf8" });
    const theirs = parseAllDocuments(output).map((document) => document.toJS() as KubeObject);
    const ours = rendered.get(overlay)!.map((object) => JSON.parse(JSON.stringify(object)) as KubeObject);
    const byId = (objects: KubeObject[]) => new Map(objects.map((object) => [objectId(object), object]));
    expect(byId(ours)).toEqual(byId(theirs));
  });
});
