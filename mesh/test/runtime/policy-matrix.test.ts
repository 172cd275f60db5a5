import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CatalogServiceBinding } from "@weft/gen/shop/catalog/v1/catalog_weft.js";
import { IdentityServiceBinding } from "@weft/gen/shop/identity/v1/identity_weft.js";
import { InventoryServiceBinding } from "@weft/gen/shop/inventory/v1/inventory_weft.js";
import { NotificationServiceBinding } from "@weft/gen/shop/notifications/v1/notifications_weft.js";
import { OrderServiceBinding } from "@weft/gen/shop/orders/v1/orders_weft.js";
import { PaymentServiceBinding } from "@weft/gen/shop/payments/v1/payments_weft.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { Code, methodsOf, provide, RpcError, type ServiceBinding } from "../../src/index.ts";
import { address, TestWorld } from "../support/workloads.ts";

/**
 * The policy matrix: every (caller, method) pair of the shop, called for real through mTLS
 * against servers that enforce the istio/ folder. Which pairs must pass is read straight from the
 * ALLOW rules' principals × paths (the folder uses only exact values, which another test checks),
 * not from the engine under test.
 */
const root = new URL("../../../", import.meta.url).pathname;
const policyDir = join(root, "istio");
const services: Record<string, ServiceBinding<unknown, unknown>> = {
  identity: IdentityServiceBinding,
  catalog: CatalogServiceBinding,
  inventory: InventoryServiceBinding,
  orders: OrderServiceBinding,
  payments: PaymentServiceBinding,
  notifications: NotificationServiceBinding,
};
const callers = ["gateway", ...Object.keys(services), "intruder"];

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(dir, f));
}

/** "principal path" pairs the ALLOW policies grant, per workload (app label). */
function grantedPairs(): Map<string, Set<string>> {
  const granted = new Map<string, Set<string>>();
  for (const file of yamlFiles(policyDir)) {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      const policy = doc.toJSON();
      if (policy?.kind !== "AuthorizationPolicy" || (policy.spec?.action ?? "ALLOW") !== "ALLOW") continue;
      const app: string | undefined = policy.spec?.selector?.matchLabels?.app;
      if (app === undefined) continue;
      const pairs = granted.get(app) ?? new Set<string>();
      for (const rule of policy.spec.rules ?? []) {
        const principals: string[] = (rule.from ?? []).flatMap(
          (f: { source: { principals?: string[] } }) => f.source.principals ?? [],
        );
        const paths: string[] = (rule.to ?? []).flatMap(
          (t: { operation: { paths?: string[] } }) => t.operation.paths ?? [],
        );
        for (const principal of principals) for (const path of paths) pairs.add(`${principal} ${path}`);
      }
      granted.set(app, pairs);
    }
  }
  return granted;
}

/** Handlers that answer every method with an empty response: only the policy decides. */
function stubHandlers(binding: ServiceBinding<unknown, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    methodsOf(binding).map(([key, method]) => [key, method.responseStream ? async function* () {} : async () => ({})]),
  );
}

const world = new TestWorld("");
const targets = new Map<string, string>();

beforeAll(async () => {
  for (const [name, binding] of Object.entries(services)) {
    const mesh = await world.mesh(name, { policyDir });
    const server = await mesh.serve([provide(binding, stubHandlers(binding))]);
    targets.set(name, address(server.port));
  }
}, 60_000);

afterAll(() => world.close());

type Outcome = "allowed" | "denied";

async function call(
  client: Record<string, (...args: unknown[]) => unknown>,
  key: string,
  streaming: boolean,
): Promise<Outcome> {
  try {
    if (streaming) {
      for await (const _ of client[key]!({}) as AsyncIterable<unknown>) {
        // drain
      }
    } else {
      await client[key]!({});
    }
    return "allowed";
  } catch (error) {
    if (
      error instanceof RpcError &&
      error.code === Code.PERMISSION_DENIED &&
      error.rawMessage === "RBAC: access denied"
    ) {
      return "denied";
    }
    throw error;
  }
}

describe("the istio/ policy matrix, enforced by the local mesh", () => {
  it("allows exactly the granted (caller, method) pairs and denies every other", async () => {
    const granted = grantedPairs();
    const expected: string[] = [];
    const actual: string[] = [];
    for (const caller of callers) {
      const mesh = await world.mesh(caller, { policyDir });
      for (const [name, binding] of Object.entries(services)) {
        const client = mesh.connect(binding, { target: targets.get(name)! }) as Record<
          string,
          (...args: unknown[]) => unknown
        >;
        for (const [key, method] of methodsOf(binding)) {
          const principal = `cluster.local/ns/shop/sa/${caller}`;
          const want: Outcome = granted.get(name)?.has(`${principal} ${method.path}`) ? "allowed" : "denied";
          expected.push(`${caller} → ${method.path}: ${want}`);
          actual.push(`${caller} → ${method.path}: ${await call(client, key, method.responseStream)}`);
        }
      }
    }
    expect(actual).toEqual(expected);
    // The matrix is not trivially all-denied or all-allowed.
    const allowed = expected.filter((line) => line.endsWith("allowed")).length;
    expect(allowed).toBeGreaterThan(10);
    expect(allowed).toBeLessThan(expected.length / 2);
    expect(expected).toContain("orders → /shop.payments.v1.PaymentService/Charge: allowed");
    expect(expected).toContain("gateway → /shop.payments.v1.PaymentService/Charge: denied");
  }, 120_000);
});
