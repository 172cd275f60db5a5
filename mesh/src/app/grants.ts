// Who may call what, derived from the manifests alone: least privilege by construction. The
// AuthorizationPolicies, the policy matrix test and `weft policy` all read this one list.

import type { Registry } from "@bufbuild/protobuf";
import { hasHttpRoute, servicesOf } from "./contracts.ts";
import { type App, type Grant, gatewayWorkload } from "./types.ts";

/**
 * One grant per (callee, caller): each service's declared calls, and the gateway's — the RPCs
 * with a google.api.http route of every edge: true service, plus the edge's JWKS method.
 * Sorted by callee, then the gateway first, then callers by name; paths in proto order.
 */
export function derivedGrants(app: App, registry: Registry): Grant[] {
  const wanted = new Map<string, Map<string, Set<string>>>();
  const add = (callee: string, caller: string, path: string) => {
    const callers = wanted.get(callee) ?? new Map<string, Set<string>>();
    wanted.set(callee, callers);
    const paths = callers.get(caller) ?? new Set<string>();
    callers.set(caller, paths);
    paths.add(path);
  };
  for (const service of app.services) {
    for (const call of service.calls) for (const path of call.methods) add(call.service, service.name, path);
    if (!service.edge) continue;
    for (const proto of servicesOf(registry, service.implements)) {
      for (const method of proto.methods) {
        if (hasHttpRoute(registry, method)) add(service.name, gatewayWorkload, `/${proto.typeName}/${method.name}`);
      }
    }
  }
  const auth = app.manifest.edge.auth;
  if (auth !== undefined && "rpc" in auth.jwks) {
    const typeName = auth.jwks.rpc.split("/")[0]!;
    const owner = app.services.find((service) => service.implements.includes(typeName));
    if (owner !== undefined) add(owner.name, gatewayWorkload, `/${auth.jwks.rpc}`);
  }

  const order = (callee: string) => {
    const paths = servicesOf(registry, app.service(callee)?.implements ?? []).flatMap((proto) =>
      proto.methods.map((method) => `/${proto.typeName}/${method.name}`),
    );
    return (path: string) => {
      const index = paths.indexOf(path);
      return index === -1 ? Number.MAX_SAFE_INTEGER : index;
    };
  };
  const grants: Grant[] = [];
  for (const callee of [...wanted.keys()].sort()) {
    const rank = order(callee);
    const callers = [...wanted.get(callee)!.keys()].sort((a, b) =>
      a === gatewayWorkload ? -1 : b === gatewayWorkload ? 1 : a.localeCompare(b),
    );
    for (const caller of callers) {
      const paths = [...wanted.get(callee)!.get(caller)!].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
      grants.push({ callee, caller, paths });
    }
  }
  return grants;
}

/** Whether a grant list lets `caller` call `path` on `callee`. */
export function isGranted(grants: readonly Grant[], caller: string, callee: string, path: string): boolean {
  return grants.some((grant) => grant.callee === callee && grant.caller === caller && grant.paths.includes(path));
}
