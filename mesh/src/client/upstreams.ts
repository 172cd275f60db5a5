// Which upstream a workload may call and where it is, from the app's manifests: the caller's
// `calls:` names the upstream (the edge may call every `edge: true` service and the token
// issuer's JWKS method), the upstream's `implements:` names the proto service, and
// `<NAME>_ADDR` (or the upstream's Kubernetes Service) says where it listens.
import { relative } from "node:path";
import {
  type App,
  addressVariable,
  clusterTarget,
  gatewayWorkload,
  ManifestError,
  type ServiceManifest,
} from "../app/index.ts";
import type { Env } from "../config/env.ts";

export interface ResolvedUpstream {
  /** The upstream workload, e.g. `billing`. */
  readonly service: string;
  /** gRPC target: `<NAME>_ADDR`, else `dns:///<name>.<namespace>.svc.cluster.local:50051`. */
  readonly target: string;
  /** The gRPC paths the caller's manifest declares; undefined when every method may be called (the edge). */
  readonly paths: ReadonlySet<string> | undefined;
  /** What to tell a caller of an undeclared method. */
  readonly declaredIn: string;
}

/** Where an upstream workload listens: `<NAME>_ADDR`, else its in-cluster Service. */
export function upstreamTarget(app: App, service: string, env: Env): string {
  const configured = env[addressVariable(service)]?.trim();
  return configured ? configured : clusterTarget(app, service);
}

/**
 * Resolves the upstream serving `protoService` for workload `caller`, refusing (ManifestError)
 * one the caller's manifest does not declare: an undeclared call fails at start, naming the
 * file to fix, instead of as a PERMISSION_DENIED from the mesh's policy later.
 */
export function resolveUpstream(app: App, caller: string, protoService: string, env: Env): ResolvedUpstream {
  const owner = app.services.find((service) => service.implements.includes(protoService));
  if (owner === undefined) {
    throw new ManifestError(
      `${protoService}: no service of the app implements it (no weft.yaml lists it in implements)`,
    );
  }
  const target = upstreamTarget(app, owner.name, env);
  if (caller === gatewayWorkload) {
    const issuer = jwksOwner(app);
    if (!owner.edge && issuer !== owner.name) {
      throw new ManifestError(`${shown(app, owner)}: edge: the edge calls ${owner.name}, which is not edge: true`);
    }
    return { service: owner.name, target, paths: undefined, declaredIn: "the edge" };
  }
  const self = app.service(caller);
  if (self === undefined) {
    throw new ManifestError(`services/${caller}/weft.yaml: missing: ${caller} is not a service of the app`);
  }
  const call = self.calls.find((c) => c.service === owner.name);
  if (call === undefined) {
    throw new ManifestError(
      `${shown(app, self)}: calls: ${caller} calls ${owner.name} (${protoService}) but does not declare it`,
    );
  }
  return {
    service: owner.name,
    target,
    paths: new Set(call.methods),
    declaredIn: `${shown(app, self)}: calls.${owner.name}`,
  };
}

/** The service whose RPC the edge's token verification fetches keys from, if any. */
function jwksOwner(app: App): string | undefined {
  const jwks = app.manifest.edge.auth?.jwks;
  if (jwks === undefined || !("rpc" in jwks)) return undefined;
  const protoService = jwks.rpc.slice(0, jwks.rpc.lastIndexOf("/"));
  return app.services.find((service) => service.implements.includes(protoService))?.name;
}

function shown(app: App, service: ServiceManifest): string {
  return relative(app.root, service.file).replaceAll("\\", "/");
}
