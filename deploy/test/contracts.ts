// The shop's RPCs as the contracts in proto/ declare them (through the generated descriptors):
// the source the manifests' paths, routes and retry rules are checked against.

import { type DescFile, getOption, hasOption } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { http } from "@weft/gen/google/api/annotations_pb.js";
import { file_shop_catalog_v1_catalog } from "@weft/gen/shop/catalog/v1/catalog_pb.js";
import { file_shop_identity_v1_identity } from "@weft/gen/shop/identity/v1/identity_pb.js";
import { file_shop_inventory_v1_inventory } from "@weft/gen/shop/inventory/v1/inventory_pb.js";
import { file_shop_notifications_v1_notifications } from "@weft/gen/shop/notifications/v1/notifications_pb.js";
import { file_shop_orders_v1_orders } from "@weft/gen/shop/orders/v1/orders_pb.js";
import { file_shop_payments_v1_payments } from "@weft/gen/shop/payments/v1/payments_pb.js";
import { allow_anonymous as allowAnonymous } from "@weft/gen/weft/api/v1/access_pb.js";

/** The workload (app label, ServiceAccount) serving each contract. */
export const contracts: Record<string, DescFile> = {
  identity: file_shop_identity_v1_identity,
  catalog: file_shop_catalog_v1_catalog,
  inventory: file_shop_inventory_v1_inventory,
  orders: file_shop_orders_v1_orders,
  payments: file_shop_payments_v1_payments,
  notifications: file_shop_notifications_v1_notifications,
};

export interface Rpc {
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

export const rpcs: readonly Rpc[] = Object.entries(contracts).flatMap(([service, file]) =>
  file.services.flatMap((desc) =>
    desc.methods.map((method): Rpc => {
      let rest: Rpc["rest"];
      if (hasOption(method, http)) {
        const pattern = getOption(method, http).pattern;
        if (pattern.case !== undefined && pattern.case !== "custom" && typeof pattern.value === "string") {
          rest = { method: pattern.case.toUpperCase(), template: pattern.value };
        }
      }
      return {
        service,
        path: `/${desc.typeName}/${method.name}`,
        anonymous: getOption(method, allowAnonymous),
        idempotent:
          method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS ||
          method.idempotency === MethodOptions_IdempotencyLevel.IDEMPOTENT,
        serverStreaming: method.methodKind === "server_streaming",
        rest,
      };
    }),
  ),
);

/** A concrete URL path for a REST template: every {variable} becomes a sample segment. */
export function samplePath(template: string): string {
  return template.replace(/\{[^}]+\}/g, "sample-id");
}
