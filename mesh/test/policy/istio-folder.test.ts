// Checks the real policy source of truth in istio/ against the contracts in proto/: the call
// graph it encodes, that every path names a real RPC, and that the mesh-wide mTLS is STRICT.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type DescFile, hasOption } from "@bufbuild/protobuf";
import { http } from "@weft/gen/google/api/annotations_pb.js";
import { file_shop_catalog_v1_catalog } from "@weft/gen/shop/catalog/v1/catalog_pb.js";
import { file_shop_identity_v1_identity } from "@weft/gen/shop/identity/v1/identity_pb.js";
import { file_shop_inventory_v1_inventory } from "@weft/gen/shop/inventory/v1/inventory_pb.js";
import { file_shop_notifications_v1_notifications } from "@weft/gen/shop/notifications/v1/notifications_pb.js";
import { file_shop_orders_v1_orders } from "@weft/gen/shop/orders/v1/orders_pb.js";
import { file_shop_payments_v1_payments } from "@weft/gen/shop/payments/v1/payments_pb.js";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  accessDeniedMessage,
  loadPolicies,
  PolicyEngine,
  type PolicyRequest,
  parsePolicies,
  type Workload,
} from "../../src/policy/index.ts";

const istioDir = fileURLToPath(new URL("../../../istio/", import.meta.url));

// The workload (app label = service account) serving each shop contract.
const contracts: Record<string, DescFile> = {
  identity: file_shop_identity_v1_identity,
  catalog: file_shop_catalog_v1_catalog,
  inventory: file_shop_inventory_v1_inventory,
  orders: file_shop_orders_v1_orders,
  payments: file_shop_payments_v1_payments,
  notifications: file_shop_notifications_v1_notifications,
};
const services = Object.keys(contracts);

interface Rpc {
  service: string;
  path: string;
  /** Has a google.api.http annotation: part of the REST surface the gateway serves. */
  isPublic: boolean;
}

const rpcs: Rpc[] = Object.entries(contracts).flatMap(([service, file]) =>
  file.services.flatMap((desc) =>
    desc.methods.map((method) => ({
      service,
      path: `/${desc.typeName}/${method.name}`,
      isPublic: hasOption(method, http),
    })),
  ),
);

const principalOf = (serviceAccount: string) => `cluster.local/ns/shop/sa/${serviceAccount}`;
const workloadOf = (service: string): Workload => ({ namespace: "shop", labels: { app: service } });
const grpcCall = (principal: string | undefined, path: string): PolicyRequest => ({ principal, path, method: "POST" });

// The intended call graph, written independently of istio/: the gateway reaches every public RPC
// except payments'; orders drives its saga; services acting for end users fetch identity's keys
// to verify their tokens; nobody else calls anybody.
const ordersCalls = new Set([
  "/shop.catalog.v1.CatalogService/GetProduct",
  "/shop.catalog.v1.CatalogService/BatchGetProducts",
  "/shop.inventory.v1.InventoryService/Reserve",
  "/shop.inventory.v1.InventoryService/Release",
  "/shop.inventory.v1.InventoryService/Commit",
  "/shop.inventory.v1.InventoryService/Restock",
  "/shop.inventory.v1.InventoryService/GetReservation",
  "/shop.payments.v1.PaymentService/Charge",
  "/shop.payments.v1.PaymentService/Refund",
  "/shop.payments.v1.PaymentService/GetPayment",
]);

const tokenVerifiers = new Set(["catalog", "inventory", "orders", "notifications"].map(principalOf));
const getJwks = "/shop.identity.v1.IdentityService/GetJwks";

function intendedToAllow(caller: string | undefined, rpc: Rpc): boolean {
  if (caller === principalOf("gateway")) return rpc.isPublic && rpc.service !== "payments";
  if (caller !== undefined && tokenVerifiers.has(caller) && rpc.path === getJwks) return true;
  if (caller === principalOf("orders")) return ordersCalls.has(rpc.path);
  return false;
}

const policies = loadPolicies(istioDir);
const engine = new PolicyEngine(policies);

describe("istio/ AuthorizationPolicies", () => {
  it("has the shop-wide allow-nothing baseline", () => {
    const denyAll = policies.find((policy) => policy.name === "deny-all");
    expect(denyAll).toMatchObject({ namespace: "shop", action: "ALLOW", selector: undefined, rules: [] });
  });

  it.each(services)("gives %s exactly one ALLOW policy, selecting it by app label", (service) => {
    const own = policies.filter(
      (policy) => policy.action === "ALLOW" && policy.selector !== undefined && policy.selector.app === service,
    );
    expect(own).toHaveLength(1);
    expect(own[0]).toMatchObject({ name: service, namespace: "shop", selector: { app: service } });
  });

  it("has no policy beyond deny-all and the six services' own, and no DENY policy", () => {
    expect(policies.map((policy) => policy.name).sort()).toEqual(["deny-all", ...services].sort());
    expect(policies.filter((policy) => policy.action === "DENY")).toEqual([]);
  });

  it("names only real RPCs, by exact path, of the service the policy protects", () => {
    const known = new Map(rpcs.map((rpc) => [rpc.path, rpc.service]));
    for (const policy of policies) {
      for (const rule of policy.rules) {
        for (const operation of rule.to ?? []) {
          for (const path of [...(operation.paths ?? []), ...(operation.notPaths ?? [])]) {
            expect(path, `${policy.source}: ${path}`).not.toContain("*");
            expect(known.get(path), `${policy.source}: ${path}`).toBe(policy.selector?.app);
          }
        }
      }
    }
  });

  it("lets orders charge a payment and refuses the gateway and unauthenticated callers", () => {
    const charge = "/shop.payments.v1.PaymentService/Charge";
    const payments = workloadOf("payments");
    expect(engine.decide(payments, grpcCall(principalOf("orders"), charge))).toEqual({
      allowed: true,
      reason: "allowed by ALLOW policy shop/payments",
    });
    expect(engine.decide(payments, grpcCall(principalOf("gateway"), charge)).allowed).toBe(false);
    const anonymous = engine.decide(payments, grpcCall(undefined, charge));
    expect(anonymous.allowed).toBe(false);
    expect(anonymous.reason).toMatch(/shop\/deny-all, shop\/payments/);
    expect(accessDeniedMessage).toBe("RBAC: access denied");
  });

  // Every (caller, RPC) pair, derived from proto/ and the intended call graph, not hand-listed.
  const callers: (string | undefined)[] = [
    ...["gateway", ...services].map(principalOf),
    "cluster.local/ns/elsewhere/sa/gateway", // right name, wrong namespace
    undefined,
  ];
  const matrix = callers.flatMap((caller) => rpcs.map((rpc) => ({ caller: caller ?? "(unauthenticated)", rpc })));
  it.each(matrix)("$caller → $rpc.path", ({ caller, rpc }) => {
    const principal = caller === "(unauthenticated)" ? undefined : caller;
    const decision = engine.decide(workloadOf(rpc.service), grpcCall(principal, rpc.path));
    expect(decision.allowed, decision.reason).toBe(intendedToAllow(principal, rpc));
  });

  it("allows nothing over a non-gRPC method, even on an allowed path", () => {
    const decision = engine.decide(workloadOf("payments"), {
      principal: principalOf("orders"),
      path: "/shop.payments.v1.PaymentService/Charge",
      method: "GET",
    });
    expect(decision.allowed).toBe(false);
  });

  it("refuses an unsupported field added to a real policy, naming the file and the policy", () => {
    const file = join(istioDir, "authz", "payments.yaml");
    const tampered = readFileSync(file, "utf8").replace(
      "    - from:",
      "    - when: [{key: 'request.headers[x-debug]', values: ['1']}]\n      from:",
    );
    expect(() => parsePolicies(tampered, file)).toThrow(
      `${file} (document 1) AuthorizationPolicy shop/payments: spec.rules[0].when is unsupported by the local mesh`,
    );
  });
});

describe("istio/peer-authentication.yaml", () => {
  const text = readFileSync(join(istioDir, "peer-authentication.yaml"), "utf8");

  it("requires mutual TLS mesh-wide (STRICT in the root namespace)", () => {
    expect(parseYaml(text)).toMatchObject({
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: "istio-system" },
      spec: { mtls: { mode: "STRICT" } },
    });
  });

  it("stays out of the policy engine", () => {
    expect(parsePolicies(text, "peer-authentication.yaml")).toEqual([]);
  });
});
