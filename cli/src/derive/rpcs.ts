// What the protos say about each RPC of the app that the derivations need: its REST route, whether
// it is public (allow_anonymous), safe to repeat, or a server stream.

import { getOption, hasOption, type Registry } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { type App, servicesOf } from "@weft/mesh/app";

export interface Rpc {
  /** The app service (workload, app label, ServiceAccount) serving it. */
  service: string;
  /** gRPC / Connect path, e.g. /shop.orders.v1.OrderService/GetOrder */
  path: string;
  /** option (weft.api.v1.allow_anonymous) = true: callable without a token. */
  anonymous: boolean;
  /** NO_SIDE_EFFECTS or IDEMPOTENT: safe to send twice. */
  idempotent: boolean;
  serverStreaming: boolean;
  /** The google.api.http route, if the RPC is on the REST surface. */
  rest: { method: string; template: string } | undefined;
}

interface HttpRule {
  pattern: { case: string | undefined; value?: unknown };
}

/** Every RPC of every service of the app, in manifest (name) then proto order. */
export function rpcsOf(app: App, registry: Registry): Rpc[] {
  const http = registry.getExtension("google.api.http");
  const allowAnonymous = registry.getExtension("weft.api.v1.allow_anonymous");
  return app.services.flatMap((service) =>
    servicesOf(registry, service.implements).flatMap((desc) =>
      desc.methods.map((method): Rpc => {
        let rest: Rpc["rest"];
        if (http !== undefined && hasOption(method, http)) {
          const { pattern } = getOption(method, http) as HttpRule;
          if (pattern.case !== undefined && pattern.case !== "custom" && typeof pattern.value === "string") {
            rest = { method: pattern.case.toUpperCase(), template: pattern.value };
          }
        }
        return {
          service: service.name,
          path: `/${desc.typeName}/${method.name}`,
          anonymous: allowAnonymous !== undefined && getOption(method, allowAnonymous) === true,
          idempotent:
            method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS ||
            method.idempotency === MethodOptions_IdempotencyLevel.IDEMPOTENT,
          serverStreaming: method.methodKind === "server_streaming",
          rest,
        };
      }),
    ),
  );
}

/** The RPCs the edge serves: those with a REST route of the edge: true services. */
export function edgeRpcs(app: App, registry: Registry): Rpc[] {
  return rpcsOf(app, registry).filter((rpc) => rpc.rest !== undefined && app.service(rpc.service)?.edge === true);
}
