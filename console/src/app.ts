// What the console needs to know about the app: the structural part of `@weft/mesh/app`'s App and
// of `derivedGrants`' result (MANIFESTS.md), declared here so the console compiles and is tested
// on its own; the launcher passes the loaded App and the derived grants as they are.

export interface ConsoleCall {
  /** The upstream service's name. */
  service: string;
  /** Full gRPC paths: "/shop.catalog.v1.CatalogService/GetProduct". */
  methods: readonly string[];
}

export interface ConsoleService {
  name: string;
  /** Absolute path of the service's weft.yaml, for "edit this file" hints. */
  file?: string;
  implements: readonly string[];
  database: boolean;
  edge: boolean;
  calls: readonly ConsoleCall[];
  publishes: readonly string[];
  consumes: readonly string[];
}

export interface ConsoleApp {
  /** The app root (the folder of weft.app.yaml). */
  root?: string;
  manifest: { name: string; trustDomain: string; namespace: string };
  services: readonly ConsoleService[];
}

/** Who may call what, as derived from the manifests: one entry per (callee, caller). */
export interface Grant {
  callee: string;
  caller: string;
  paths: readonly string[];
}

/** The workload that implements a proto service ("shop.orders.v1.OrderService" → "orders"). */
export function ownerOf(app: ConsoleApp | undefined, protoService: string): string | undefined {
  return app?.services.find((s) => s.implements.includes(protoService))?.name;
}

/** "/pkg.Service/Method" → ["pkg.Service", "Method"]. */
export function splitPath(path: string): [string, string] {
  const [, service = "", method = ""] = /^\/?([^/]+)\/([^/]+)$/.exec(path) ?? [];
  return [service, method];
}

/** The manifest spelling of a method: "/shop.catalog.v1.CatalogService/GetProduct" → "CatalogService/GetProduct". */
export function manifestMethod(path: string): string {
  const [service, method] = splitPath(path);
  return `${service.slice(service.lastIndexOf(".") + 1)}/${method}`;
}

/** The workload name of the edge, always `gateway` (MANIFESTS.md). */
export const gatewayWorkload = "gateway";
