// The app's workloads: its services and the gateway. The Makefile's image list, rollout's
// allowed names and every per-workload generated file come from this one list.

import { type App, gatewayWorkload } from "@weft/mesh/app";

/** The services by name, then the gateway (every app has one edge). */
export function workloadNames(app: App): string[] {
  return [...app.services.map((service) => service.name), gatewayWorkload];
}

/** The folder a workload's npm workspace lives in, relative to the app root. */
export function workloadDir(workload: string): string {
  return workload === gatewayWorkload ? "gateway" : `services/${workload}`;
}
