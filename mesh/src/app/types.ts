// The shapes the manifests load into (see mesh/schema/ for the files' own schema).

export interface EdgeAuth {
  issuer: string;
  audience: string;
  /** Where the signing keys come from: a method of an app service (its proto3-JSON response is the JWKS), or a URL. */
  jwks: { rpc: string } | { url: string };
}

/** weft.app.yaml, defaults applied. */
export interface AppManifest {
  name: string;
  trustDomain: string;
  namespace: string;
  edge: { port: number; auth: EdgeAuth | undefined };
  dev: { seed: string | undefined };
}

/** One upstream a service calls and exactly which RPCs of it. */
export interface Call {
  service: string;
  /** Full gRPC paths, e.g. "/example.v1.NoteService/GetNote". */
  methods: readonly string[];
}

/** services/<name>/weft.yaml, defaults applied and ports resolved. */
export interface ServiceManifest {
  name: string;
  /** Absolute path of the manifest file. */
  file: string;
  /** Absolute path of the service's folder. */
  dir: string;
  /** gRPC port under weft dev: the manifest's, or auto-assigned from 50051 up. */
  port: number;
  implements: readonly string[];
  database: boolean;
  edge: boolean;
  calls: readonly Call[];
  publishes: readonly string[];
  consumes: readonly string[];
  settings: Readonly<Record<string, string>>;
  devSettings: Readonly<Record<string, string>>;
}

export interface App {
  /** Absolute path of the folder holding weft.app.yaml. */
  root: string;
  /** Absolute path of weft.app.yaml. */
  file: string;
  manifest: AppManifest;
  /** Sorted by name. */
  services: readonly ServiceManifest[];
  service(name: string): ServiceManifest | undefined;
  /** spiffe://<trustDomain>/ns/<namespace>/sa/<workload> */
  spiffeId(workload: string): string;
}

/** Who may call what, derived from the manifests: one entry per (callee, caller). */
export interface Grant {
  callee: string;
  caller: string;
  /** Full gRPC paths, in the order the proto declares them. */
  paths: readonly string[];
}

/** The workload name of the edge (its ServiceAccount, so its SPIFFE id, and its policy principal). */
export const gatewayWorkload = "gateway";
