// Validation and cross-checks over rendered manifests. Every check returns the problems it
// found (empty when fine) instead of asserting, so the tests can prove each one catches a
// deliberately broken manifest.

import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DestinationRule, Gateway, VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1";
import {
  AuthorizationPolicy,
  PeerAuthentication,
  RequestAuthentication,
} from "@kubernetes-models/istio/security.istio.io/v1";
import { addressVariable } from "@weft/mesh/app";
import { Ajv, type ValidateFunction } from "ajv";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import { isMap, type KubeObject } from "../../scripts/manifests/kustomize.ts";
import { app, type Rpc, rpcs, samplePath } from "./contracts.ts";

export const repositoryRoot = fileURLToPath(new URL("../../", import.meta.url));

type YamlMap = Record<string, unknown>;

/** The app's namespace and its workloads' principals (source.principals spelling). */
const namespace = app.manifest.namespace;
const principalOf = (workload: string) => app.spiffeId(workload).slice("spiffe://".length);
const principalPattern = new RegExp(`^${principalOf("").replaceAll(".", "\\.")}([\\w-]+)$`);

const describe = (object: KubeObject) =>
  `${object.kind} ${object.metadata.namespace ?? ""}/${object.metadata.name}`.replace(" /", " ");

// ---- schemas ----

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

// One model per kind the manifests use; a kind missing here is a problem, not a pass.
const models: Record<string, ModelClass> = {
  "v1/Namespace": Namespace,
  "v1/ServiceAccount": ServiceAccount,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "apps/v1/StatefulSet": StatefulSet,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
  "security.istio.io/v1/AuthorizationPolicy": AuthorizationPolicy,
  "security.istio.io/v1/PeerAuthentication": PeerAuthentication,
  "security.istio.io/v1/RequestAuthentication": RequestAuthentication,
  "networking.istio.io/v1/DestinationRule": DestinationRule,
  "networking.istio.io/v1/VirtualService": VirtualService,
  "networking.istio.io/v1/Gateway": Gateway,
};

// WEFT_ISTIO_CRD_SCHEMAS points elsewhere (a git worktree has no ../shared next to it).
export const istioSchemaFile =
  process.env.WEFT_ISTIO_CRD_SCHEMAS ?? resolve(repositoryRoot, "../shared/schemas/istio-crd-all.gen.yaml");

/**
 * kubectl validates strictly by default (unknown fields are errors), while a CRD schema only
 * prunes them: close every object schema that declares its properties, so a misspelled field
 * fails here as it would on `kubectl apply`.
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!isMap(schema)) return schema;
  const copy: YamlMap = {};
  for (const [key, value] of Object.entries(schema)) {
    // Property names are data, not schemas: recurse into each property's schema only.
    copy[key] =
      key === "properties" && isMap(value)
        ? Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, strict(inner)]))
        : strict(value);
  }
  if (
    isMap(copy.properties) &&
    copy.additionalProperties === undefined &&
    copy["x-kubernetes-preserve-unknown-fields"] !== true
  ) {
    copy.additionalProperties = false;
  }
  return copy;
}

export class IstioSchemas {
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(file = istioSchemaFile) {
    if (!existsSync(file)) {
      throw new Error(
        `Istio CRD schemas not found at ${file}: the validation needs ../shared/schemas/istio-crd-all.gen.yaml ` +
          "(Istio's manifests/charts/base/files/crd-all.gen.yaml) next to the repository",
      );
    }
    // x-kubernetes-* keywords (CEL rules included) are Kubernetes extensions ajv cannot run.
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const documents = parseAllDocuments(readFileSync(file, "utf8"));
    for (const document of Array.isArray(documents) ? documents : []) {
      const crd: unknown = document.toJS();
      if (!isMap(crd) || !isMap(crd.spec) || !isMap(crd.spec.names) || !Array.isArray(crd.spec.versions)) continue;
      for (const version of crd.spec.versions) {
        if (!isMap(version) || !isMap(version.schema) || !isMap(version.schema.openAPIV3Schema)) continue;
        const schema = version.schema.openAPIV3Schema;
        // Only spec is closed: the top level holds apiVersion/kind/metadata, which the CRD leaves open.
        const spec = isMap(schema.properties) ? schema.properties.spec : undefined;
        const closed = {
          ...schema,
          properties: { ...(isMap(schema.properties) ? schema.properties : {}), spec: strict(spec) },
        };
        this.validators.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, ajv.compile(closed));
      }
    }
  }

  problems(object: KubeObject): string[] {
    const validate = this.validators.get(`${object.apiVersion}/${object.kind}`);
    if (validate === undefined) return [`${describe(object)}: no Istio CRD schema for ${object.apiVersion}`];
    if (validate(object)) return [];
    return (validate.errors ?? []).map((error) =>
      `${describe(object)}: Istio CRD schema: ${error.instancePath || "/"} ${error.message ?? ""} ${
        error.params && "additionalProperty" in error.params ? String(error.params.additionalProperty) : ""
      }`.trim(),
    );
  }
}

export function schemaProblems(objects: readonly KubeObject[], istio: IstioSchemas): string[] {
  return objects.flatMap((object) => {
    const problems: string[] = [];
    const Model = models[`${object.apiVersion}/${object.kind}`];
    if (Model === undefined) problems.push(`${describe(object)}: no kubernetes-models class for ${object.apiVersion}`);
    else {
      try {
        new Model(structuredClone(object) as never).validate();
      } catch (error) {
        problems.push(`${describe(object)}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (object.apiVersion.includes(".istio.io/")) problems.push(...istio.problems(object));
    return problems;
  });
}

// ---- object access helpers ----

const ofKind = (objects: readonly KubeObject[], kind: string) => objects.filter((object) => object.kind === kind);
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const map = (value: unknown): YamlMap => (isMap(value) ? value : {});

function podSpec(object: KubeObject): YamlMap {
  return map(map(map(object.spec).template).spec);
}

function containers(object: KubeObject): YamlMap[] {
  return list(podSpec(object).containers).filter(isMap);
}

/** A container's environment as the kubelet would see it: envFrom ConfigMaps, then env values. */
export function environment(
  objects: readonly KubeObject[],
  workload: KubeObject,
  container: YamlMap,
): Map<string, string> {
  const env = new Map<string, string>();
  for (const source of list(container.envFrom).filter(isMap)) {
    const name = map(source.configMapRef).name;
    const configMap = objects.find(
      (object) =>
        object.kind === "ConfigMap" &&
        object.metadata.name === name &&
        object.metadata.namespace === workload.metadata.namespace,
    );
    for (const [key, value] of Object.entries(map(configMap?.data))) env.set(key, String(value));
  }
  for (const entry of list(container.env).filter(isMap)) {
    if (typeof entry.name === "string" && typeof entry.value === "string") env.set(entry.name, entry.value);
  }
  return env;
}

interface PolicyRule {
  policy: KubeObject;
  app: string | undefined;
  principals: string[];
  paths: string[];
  methods: string[];
  requestPrincipals: string[];
}

function policyRules(objects: readonly KubeObject[]): PolicyRule[] {
  return ofKind(objects, "AuthorizationPolicy").flatMap((policy) => {
    const spec = map(policy.spec);
    const app = map(map(spec.selector).matchLabels).app;
    return list(spec.rules)
      .filter(isMap)
      .map((rule) => {
        const sources = list(rule.from).map((entry) => map(map(entry).source));
        const operations = list(rule.to).map((entry) => map(map(entry).operation));
        const strings = (items: YamlMap[], key: string) => items.flatMap((item) => list(item[key]).map(String));
        return {
          policy,
          app: typeof app === "string" ? app : undefined,
          principals: strings(sources, "principals"),
          requestPrincipals: strings(sources, "requestPrincipals"),
          paths: [...strings(operations, "paths"), ...strings(operations, "notPaths")],
          methods: strings(operations, "methods"),
        };
      });
  });
}

// ---- cross-checks ----

const grpcPath = /^\/\w+(\.\w+)+\/\w+$/;
// The gateway's own HTTP endpoints (gateway/src/server.ts), besides the transcoded REST routes.
const gatewayEndpoints = new Set(["/healthz", "/readyz", "/openapi.json"]);

/** Istio path matching: exact, `prefix*`, `*suffix` or `*`. */
export function istioPathMatches(pattern: string, path: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith("*")) return path.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith("*")) return path.endsWith(pattern.slice(1));
  return pattern === path;
}

/** Every AuthorizationPolicy path names a real RPC, a real REST route or a gateway endpoint. */
export function policyPathProblems(objects: readonly KubeObject[]): string[] {
  const methods = new Set(rpcs.map((rpc) => rpc.path));
  const restPaths = rpcs.flatMap((rpc) => (rpc.rest === undefined ? [] : [samplePath(rpc.rest.template)]));
  return policyRules(objects).flatMap((rule) =>
    rule.paths.flatMap((path) => {
      if (grpcPath.test(path))
        return methods.has(path) ? [] : [`${describe(rule.policy)}: ${path} is no RPC in proto/`];
      if (gatewayEndpoints.has(path) || restPaths.some((rest) => istioPathMatches(path, rest))) return [];
      return [`${describe(rule.policy)}: ${path} is neither an RPC, a REST route nor a gateway endpoint`];
    }),
  );
}

/** Every principal is a ServiceAccount defined in the manifests. */
export function principalProblems(objects: readonly KubeObject[]): string[] {
  const accounts = new Set(
    ofKind(objects, "ServiceAccount").map(
      (account) => `${app.manifest.trustDomain}/ns/${account.metadata.namespace}/sa/${account.metadata.name}`,
    ),
  );
  return policyRules(objects).flatMap((rule) =>
    rule.principals
      .filter((principal) => !accounts.has(principal))
      .map((principal) => `${describe(rule.policy)}: principal ${principal} is no ServiceAccount in the manifests`),
  );
}

/** Every probe of every workload targets a named port of its own container. */
export function probeProblems(objects: readonly KubeObject[]): string[] {
  return objects
    .filter((object) => object.kind === "Deployment" || object.kind === "StatefulSet")
    .flatMap((workload) =>
      containers(workload).flatMap((container) => {
        const ports = list(container.ports).filter(isMap);
        const named = ports.filter((port) => typeof port.name === "string");
        return ["startupProbe", "readinessProbe", "livenessProbe"].flatMap((kind) => {
          const probe = map(container[kind]);
          if (Object.keys(probe).length === 0) return [];
          if (probe.exec !== undefined) return [];
          const port = map(probe.grpc).port ?? map(probe.httpGet).port ?? map(probe.tcpSocket).port;
          // gRPC probes take a number only (the API has no named form): it must be the number of
          // a named port, so the Service and the probe cannot drift apart.
          const ok =
            typeof port === "string"
              ? named.some((candidate) => candidate.name === port)
              : named.some((candidate) => candidate.containerPort === port);
          return ok
            ? []
            : [
                `${describe(workload)} ${String(container.name)}: ${kind} port ${String(port)} is no named container port`,
              ];
        });
      }),
    );
}

function parseAddress(value: string): { host: string; port: number } | undefined {
  const match = /^dns:\/\/\/([\w.-]+):(\d+)$/.exec(value);
  return match === null ? undefined : { host: match[1]!, port: Number(match[2]) };
}

/**
 * The call graph, both ways: every <X>_ADDR a workload is given names an existing Service whose
 * policy lets that workload call it, and every principal a service's policy admits from the
 * app has that service's address configured (a grant nobody uses is a stale grant).
 */
export function upstreamProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  const rules = policyRules(objects);
  const allows = (caller: string, callee: string) =>
    rules.some(
      (rule) =>
        rule.app === callee &&
        rule.policy.metadata.namespace === namespace &&
        rule.principals.includes(principalOf(caller)),
    );
  const deployments = ofKind(objects, "Deployment").filter((deployment) => deployment.metadata.namespace === namespace);
  const addressesOf = new Map<string, Map<string, string>>();
  for (const deployment of deployments) {
    const caller = String(podSpec(deployment).serviceAccountName);
    const addresses = new Map<string, string>();
    for (const container of containers(deployment)) {
      for (const [key, value] of environment(objects, deployment, container)) {
        if (!key.endsWith("_ADDR")) continue;
        addresses.set(key, value);
        const address = parseAddress(value);
        if (address === undefined) {
          problems.push(
            `${describe(deployment)}: ${key}=${value} is not dns:///<service>.<namespace>.svc.cluster.local:<port>`,
          );
          continue;
        }
        const [name, namespace] = address.host.split(".");
        const service = objects.find(
          (object) =>
            object.kind === "Service" && object.metadata.name === name && object.metadata.namespace === namespace,
        );
        if (service === undefined || !address.host.endsWith(".svc.cluster.local")) {
          problems.push(
            `${describe(deployment)}: ${key} points at ${address.host}, which is no Service in the manifests`,
          );
          continue;
        }
        if (!list(map(service.spec).ports).some((port) => map(port).port === address.port)) {
          problems.push(
            `${describe(deployment)}: ${key} uses port ${address.port}, which ${describe(service)} does not expose`,
          );
        }
        if (key !== addressVariable(String(name))) problems.push(`${describe(deployment)}: ${key} points at ${name}`);
        if (!allows(caller, String(name))) {
          problems.push(`${describe(deployment)}: ${key} is set but no policy lets ${caller} call ${name}`);
        }
      }
    }
    addressesOf.set(caller, addresses);
  }
  for (const rule of rules) {
    if (rule.app === undefined || rule.policy.metadata.namespace !== namespace) continue;
    for (const principal of rule.principals) {
      const match = principalPattern.exec(principal);
      if (match === null) continue;
      const caller = match[1]!;
      if (!addressesOf.get(caller)?.has(addressVariable(rule.app))) {
        problems.push(
          `${describe(rule.policy)}: admits ${caller}, whose Deployment has no ${addressVariable(rule.app)}`,
        );
      }
    }
  }
  return problems;
}

interface HttpRoute {
  service: KubeObject;
  route: YamlMap;
  name: string;
}

function httpRoutes(objects: readonly KubeObject[]): HttpRoute[] {
  return ofKind(objects, "VirtualService").flatMap((service) =>
    list(map(service.spec).http)
      .filter(isMap)
      .map((route, index) => ({ service, route, name: typeof route.name === "string" ? route.name : `#${index}` })),
  );
}

/** Canary splits: every route's weights sum to 100 and name subsets its DestinationRule defines. */
export function weightProblems(objects: readonly KubeObject[]): string[] {
  return httpRoutes(objects).flatMap(({ service, route, name }) => {
    const destinations = list(route.route).filter(isMap);
    const problems: string[] = [];
    const total = destinations.reduce((sum, destination) => sum + (Number(destination.weight ?? 0) || 0), 0);
    if (destinations.length > 1 || destinations.some((destination) => destination.weight !== undefined)) {
      if (total !== 100) problems.push(`${describe(service)} route ${name}: weights sum to ${total}, not 100`);
    }
    for (const destination of destinations.map((entry) => map(entry.destination))) {
      if (destination.subset === undefined) continue;
      const rule = ofKind(objects, "DestinationRule").find(
        (candidate) => map(candidate.spec).host === destination.host,
      );
      const subsets = list(map(rule?.spec).subsets).map((subset) => map(subset).name);
      if (!subsets.includes(destination.subset)) {
        problems.push(
          `${describe(service)} route ${name}: subset ${String(destination.subset)} of ${String(destination.host)} is not defined`,
        );
      }
    }
    return problems;
  });
}

const attempts = (route: YamlMap): number | undefined => {
  const value = map(route.retries).attempts;
  return typeof value === "number" ? value : undefined;
};

/**
 * One retry layer per hop. In-cluster hops retry in the Weft client (MESH_RETRY_MAX_ATTEMPTS > 1
 * for every workload), so every mesh-internal VirtualService route sets retries.attempts: 0
 * (omitting it would leave Istio's default of 2 retries stacked on the client's). The edge
 * route (bound to an ingress Gateway) has no Weft client in front of it: it may retry in
 * Istio, but only on routes that match nothing but GETs and idempotent unary RPC paths.
 */
export function retryProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const deployment of ofKind(objects, "Deployment").filter((object) => object.metadata.namespace === namespace)) {
    for (const container of containers(deployment)) {
      const value = environment(objects, deployment, container).get("MESH_RETRY_MAX_ATTEMPTS");
      if (value === undefined || !(Number(value) > 1)) {
        problems.push(
          `${describe(deployment)}: MESH_RETRY_MAX_ATTEMPTS must be > 1 in-cluster (the client is the retry layer), got ${String(value)}`,
        );
      }
    }
  }
  const safePaths = new Set(rpcs.filter((rpc) => rpc.idempotent && !rpc.serverStreaming).map((rpc) => rpc.path));
  for (const { service, route, name } of httpRoutes(objects)) {
    const edge = list(map(service.spec).gateways).some((gateway) => gateway !== "mesh");
    const count = attempts(route);
    if (!edge) {
      if (count !== 0)
        problems.push(
          `${describe(service)} route ${name}: mesh-internal routes must set retries.attempts: 0 (got ${String(count)})`,
        );
      continue;
    }
    if (count === 0) continue;
    const matches = list(route.match).filter(isMap);
    if (matches.length === 0) problems.push(`${describe(service)} route ${name}: retries a catch-all route`);
    for (const match of matches) {
      const method = map(match.method).exact;
      const uri = map(match.uri).exact;
      const safe =
        (method === "GET" && match.uri === undefined) ||
        (method === undefined && typeof uri === "string" && safePaths.has(uri));
      if (!safe)
        problems.push(`${describe(service)} route ${name}: retries ${JSON.stringify(match)}, which is not idempotent`);
    }
  }
  return problems;
}

function seconds(duration: unknown): number | undefined {
  const match = typeof duration === "string" ? /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(duration) : null;
  if (match === null) return undefined;
  const value = Number(match[1]);
  return match[2] === "ms" ? value / 1000 : match[2] === "m" ? value * 60 : value;
}

/** terminationGracePeriodSeconds covers the mesh drain, and the sidecar outlives the app's drain. */
export function shutdownProblems(objects: readonly KubeObject[]): string[] {
  return ofKind(objects, "Deployment")
    .filter((deployment) => deployment.metadata.namespace === namespace)
    .flatMap((deployment) => {
      const spec = podSpec(deployment);
      const grace = Number(spec.terminationGracePeriodSeconds ?? 30);
      return containers(deployment).flatMap((container) => {
        const env = environment(objects, deployment, container);
        const drain =
          (Number(env.get("MESH_DRAIN_DELAY_MS") ?? 0) + Number(env.get("MESH_SHUTDOWN_GRACE_MS") ?? 10_000)) / 1000;
        const problems: string[] = [];
        if (grace < drain + 5) {
          problems.push(
            `${describe(deployment)}: terminationGracePeriodSeconds ${grace} < drain ${drain} s + 5 s margin`,
          );
        }
        const annotations = map(map(map(deployment.spec).template).metadata).annotations;
        const proxyConfig: unknown = parseYaml(String(map(annotations)["proxy.istio.io/config"] ?? "{}"));
        const sidecarDrain = seconds(map(proxyConfig).terminationDrainDuration);
        if (sidecarDrain === undefined || sidecarDrain < drain || sidecarDrain >= grace) {
          problems.push(
            `${describe(deployment)}: the sidecar's terminationDrainDuration (${String(sidecarDrain)} s) must cover the app's drain (${drain} s) and end before the grace period (${grace} s)`,
          );
        }
        return problems;
      });
    });
}

/** Server streams get a route without timeout in their service's VirtualService. */
export function streamingRouteProblems(objects: readonly KubeObject[]): string[] {
  return rpcs
    .filter((rpc) => rpc.serverStreaming)
    .flatMap((rpc) => {
      const host = `${rpc.service}.${namespace}.svc.cluster.local`;
      const service = ofKind(objects, "VirtualService").find((candidate) =>
        list(map(candidate.spec).hosts).includes(host),
      );
      const route = httpRoutes(service === undefined ? [] : [service]).find(({ route: candidate }) =>
        list(candidate.match).some((match) => map(map(match).uri).exact === rpc.path),
      );
      if (route === undefined) return [`${rpc.path}: no route of its own in the ${rpc.service} VirtualService`];
      return seconds(route.route.timeout) === 0 ? [] : [`${rpc.path}: its route must disable the timeout (0s)`];
    });
}

/**
 * The ingress lets a request without a token through exactly for the RPCs the contracts mark
 * allow_anonymous, by their REST route and their RPC path, and for nothing else the edge serves.
 */
export function ingressJwtProblems(objects: readonly KubeObject[]): string[] {
  const rules = policyRules(objects).filter(
    (rule) => rule.policy.metadata.namespace === "istio-ingress" && map(rule.policy.spec).action !== "DENY",
  );
  if (rules.length === 0) return ["no ALLOW AuthorizationPolicy on the ingress gateway: tokens are not required"];
  const verifies = ofKind(objects, "RequestAuthentication").some(
    (object) => object.metadata.namespace === "istio-ingress",
  );
  if (app.manifest.edge.auth !== undefined && !verifies) return ["no RequestAuthentication on the ingress gateway"];
  if (app.manifest.edge.auth === undefined && verifies) {
    return ["a RequestAuthentication on the ingress gateway, but weft.app.yaml sets no edge.auth"];
  }
  const anonymousRules = rules.filter((rule) => rule.requestPrincipals.length === 0 && rule.principals.length === 0);
  const passes = (method: string, path: string) =>
    anonymousRules.some(
      (rule) =>
        (rule.methods.length === 0 || rule.methods.includes(method)) &&
        (rule.paths.length === 0 || rule.paths.some((pattern) => istioPathMatches(pattern, path))),
    );
  const problems: string[] = [];
  // What the edge serves: the REST-routed RPCs of edge: true services.
  const edgeRpcs = rpcs.filter((rpc: Rpc) => rpc.rest !== undefined && app.service(rpc.service)?.edge === true);
  for (const rpc of edgeRpcs) {
    const requests: [string, string][] = [["POST", rpc.path]];
    if (rpc.rest !== undefined) requests.push([rpc.rest.method, samplePath(rpc.rest.template)]);
    for (const [method, path] of requests) {
      if (passes(method, path) !== rpc.anonymous) {
        problems.push(
          `${method} ${path} (${rpc.path}): ${rpc.anonymous ? "is public in proto/ but needs a token at the ingress" : "needs a token per proto/ but passes the ingress without one"}`,
        );
      }
    }
  }
  return problems;
}

/**
 * A workload told a sidecar is injected (MESH_SIDECAR_INJECTED, which lets istio mode bind 0.0.0.0
 * and trust x-forwarded-client-cert from the sidecar's address) must really get one: its
 * namespace has istio-injection enabled and its pod does not opt out.
 */
export function sidecarProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const workload of ofKind(objects, "Deployment")) {
    const where = `Deployment ${workload.metadata.namespace}/${workload.metadata.name}`;
    for (const container of containers(workload)) {
      const env = environment(objects, workload, container);
      if (env.get("MESH_MTLS") !== "istio" || env.get("MESH_SIDECAR_INJECTED") !== "true") continue;
      const namespace = objects.find(
        (object) => object.kind === "Namespace" && object.metadata.name === workload.metadata.namespace,
      );
      if (map(namespace?.metadata.labels)["istio-injection"] !== "enabled") {
        problems.push(
          `${where}: MESH_SIDECAR_INJECTED=true but namespace ${workload.metadata.namespace} has no istio-injection: enabled`,
        );
      }
      const template = map(map(workload.spec).template);
      const optOut = [map(map(template.metadata).annotations), map(map(template.metadata).labels)].some(
        (fields) => fields["sidecar.istio.io/inject"] === "false",
      );
      if (optOut) problems.push(`${where}: MESH_SIDECAR_INJECTED=true but the pod opts out of sidecar injection`);
    }
  }
  return problems;
}

export const crossChecks = {
  policyPathProblems,
  principalProblems,
  probeProblems,
  upstreamProblems,
  weightProblems,
  retryProblems,
  shutdownProblems,
  streamingRouteProblems,
  ingressJwtProblems,
  sidecarProblems,
} as const;
