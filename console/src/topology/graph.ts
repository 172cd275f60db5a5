// The app as a graph: services, the gateway, NATS and the databases, with edges from the manifests
// (declared calls, published and consumed events) and the live traffic and denies laid over them.
import { type ConsoleApp, type Grant, gatewayWorkload } from "../app.ts";
import { type AuthzDecision, workloadOf } from "../authz/decision.ts";
import { trafficKey } from "../traffic/keys.ts";
import type { RedSummary } from "../traffic/windows.ts";

export type HealthState = "SERVING" | "NOT_SERVING" | "starting" | "restarting" | "down" | "unknown";

export interface TopologyNode {
  id: string;
  label: string;
  kind: "gateway" | "service" | "broker" | "database" | "external";
  health: HealthState;
  rate: number;
  errorRatio: number;
  p99Ms: number | undefined;
}

export interface TopologyEdge {
  from: string;
  to: string;
  kind: "call" | "publish" | "consume" | "data";
  /** False for traffic no manifest declares (seen in spans or denies only). */
  declared: boolean;
  /** Methods (calls) or event types (publish/consume). */
  labels: string[];
  rate: number;
  errorRatio: number;
  denies: number;
}

export interface Topology {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
}

export const natsNode = "nats";
export const databaseNode = (service: string) => `db:${service}`;

export interface TopologyInputs {
  app: ConsoleApp | undefined;
  grants: readonly Grant[];
  health: ReadonlyMap<string, HealthState>;
  /** The traffic window of a key (see trafficKey). */
  traffic: (key: string) => RedSummary;
  /** Recent decisions, for deny counts on edges. */
  decisions: readonly AuthzDecision[];
  /** Callers seen in client spans (key `call|caller|callee`), to draw undeclared edges. */
  observedCalls: ReadonlyArray<[caller: string, callee: string]>;
}

export function buildTopology(inputs: TopologyInputs): Topology {
  const { app, health, traffic } = inputs;
  const nodes = new Map<string, TopologyNode>();
  const addNode = (id: string, label: string, kind: TopologyNode["kind"]) => {
    if (nodes.has(id)) return;
    const stats = kind === "service" || kind === "gateway" ? traffic(trafficKey.node(id)) : undefined;
    nodes.set(id, {
      id,
      label,
      kind,
      health: health.get(id) ?? "unknown",
      rate: stats?.rate ?? 0,
      errorRatio: stats?.errorRatio ?? 0,
      p99Ms: stats?.p99Ms,
    });
  };
  const services = app?.services ?? [];
  // The edge is drawn when the app has one (an edge service, a grant to it, or a running gateway).
  if (
    services.some((s) => s.edge) ||
    inputs.grants.some((g) => g.caller === gatewayWorkload) ||
    health.has(gatewayWorkload)
  ) {
    addNode(gatewayWorkload, "gateway", "gateway");
  }
  for (const service of services) addNode(service.name, service.name, "service");
  if (services.some((s) => s.publishes.length > 0 || s.consumes.length > 0))
    addNode(natsNode, "NATS JetStream", "broker");
  for (const service of services)
    if (service.database) addNode(databaseNode(service.name), `${service.name} db`, "database");

  const edges = new Map<string, TopologyEdge>();
  const addEdge = (
    from: string,
    to: string,
    kind: TopologyEdge["kind"],
    labels: readonly string[],
    declared: boolean,
  ) => {
    const key = `${kind}|${from}|${to}`;
    const existing = edges.get(key);
    if (existing) {
      existing.labels = [...new Set([...existing.labels, ...labels])];
      existing.declared ||= declared;
      return;
    }
    const stats =
      kind === "call"
        ? traffic(trafficKey.call(from, to))
        : kind === "publish"
          ? traffic(trafficKey.publish(from))
          : kind === "consume"
            ? traffic(trafficKey.consume(to))
            : undefined;
    edges.set(key, {
      from,
      to,
      kind,
      declared,
      labels: [...labels],
      rate: stats?.rate ?? 0,
      errorRatio: stats?.errorRatio ?? 0,
      denies: 0,
    });
  };

  // Calls: the derived grants when the launcher gives them (they include the edge's), else the manifests.
  if (inputs.grants.length > 0) {
    for (const grant of inputs.grants) addEdge(grant.caller, grant.callee, "call", grant.paths, true);
  } else {
    for (const service of services)
      for (const call of service.calls) addEdge(service.name, call.service, "call", call.methods, true);
  }
  for (const service of services) {
    if (service.publishes.length > 0) addEdge(service.name, natsNode, "publish", service.publishes, true);
    if (service.consumes.length > 0) addEdge(natsNode, service.name, "consume", service.consumes, true);
    if (service.database) addEdge(service.name, databaseNode(service.name), "data", [], true);
  }
  for (const [caller, callee] of inputs.observedCalls) {
    if (!edges.has(`call|${caller}|${callee}`)) {
      addNode(caller, caller, "external");
      addNode(callee, callee, "external");
      addEdge(caller, callee, "call", [], false);
    }
  }
  for (const decision of inputs.decisions) {
    if (decision.decision !== "deny") continue;
    const caller = workloadOf(decision.caller) ?? "(no identity)";
    addNode(caller, caller, "external");
    addNode(decision.workload, decision.workload, "external");
    addEdge(caller, decision.workload, "call", [], false);
    const edge = edges.get(`call|${caller}|${decision.workload}`)!;
    edge.denies++;
    if (!edge.declared && !edge.labels.includes(decision.method)) edge.labels.push(decision.method);
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}
