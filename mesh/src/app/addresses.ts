// How a workload finds an upstream: the <NAME>_ADDR variable, defaulting to the upstream's
// Kubernetes Service. One place, so the runtime, the launcher and the Deployments agree.

import type { App } from "./types.ts";

/** The port every workload serves gRPC on inside Kubernetes (the Service's port too). */
export const clusterGrpcPort = 50051;

/** `billing` → `BILLING_ADDR`, `price-list` → `PRICE_LIST_ADDR`. */
export function addressVariable(service: string): string {
  return `${service.toUpperCase().replaceAll("-", "_")}_ADDR`;
}

/** `dns:///<service>.<namespace>.svc.cluster.local:50051`: the upstream's in-cluster target. */
export function clusterTarget(app: App, service: string): string {
  return `dns:///${service}.${app.manifest.namespace}.svc.cluster.local:${clusterGrpcPort}`;
}
