// The app's RPCs as its manifests and protos declare them (services/*/weft.yaml implements:, the
// descriptors buf builds from proto/): the source the manifests' paths, routes and retry rules
// are checked against. No service list is kept here.

import { getOption, hasOption, type Registry } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { type App, servicesOf } from "@weft/mesh/app";
import { appWithContracts } from "../../mesh/test/support/app.ts";

export const { app, registry } = appWithContracts();

export interface Rpc {
  /** The app service (workload, app label, ServiceAccount) serving it. */
  service: string;
  /** gRPC / Connect path, e.g. /shop.orders.v1.OrderService/GetOrder */
  path: string;
  anonymous: boolean;
  /** NO_SIDE_EFFECTS or IDEMPOTENT: safe to send twice. */
  idempotent: boolean;
  serverStreaming: boolean;
  /** The google.api.http route, if the RPC is on the REST surface. */
  rest: { method: string; template: string } | undefined;
}

/** Every RPC of every service of the app, in manifest then proto order. */
export function rpcsOf(app: App, registry: Registry): Rpc[] {
  const http = registry.getExtension("google.api.http");
  const allowAnonymous = registry.getExtension("weft.api.v1.allow_anonymous");
  return app.services.flatMap((service) =>
    servicesOf(registry, service.implements).flatMap((desc) =>
      desc.methods.map((method): Rpc => {
        let rest: Rpc["rest"];
        if (http !== undefined && hasOption(method, http)) {
          const pattern = (getOption(method, http) as { pattern: { case?: string; value?: unknown } }).pattern;
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

export const rpcs: readonly Rpc[] = rpcsOf(app, registry);

/** A concrete URL path for a REST template: every {variable} becomes a sample segment. */
export function samplePath(template: string): string {
  return template.replace(/\{[^}]+\}/g, "sample-id");
}
