import { randomUUID } from "node:crypto";
import { CatalogServiceBinding, type CatalogServiceClient } from "@weft/gen/shop/catalog/v1/catalog_weft.js";
import { RpcError } from "@weft/mesh";
import { TestMesh, TestTokens } from "@weft/mesh/testing";
import { catalogService } from "../../src/service.ts";

/**
 * The catalog running for real (fresh database, real NATS, istio/ policies) with a durable
 * consumer of its own, so concurrent test files never share (and split) inventory events.
 */
export async function startCatalog() {
  const mesh = new TestMesh();
  const tokens = await TestTokens.create();
  const consumer = `catalog-inventory-test-${randomUUID().slice(0, 8)}`;
  const service = await mesh.start(catalogService(), {
    env: { CATALOG_INVENTORY_CONSUMER: consumer },
    verifier: tokens.verifier(),
  });
  const gateway: CatalogServiceClient = await mesh.client("gateway", CatalogServiceBinding, service.address);
  const orders: CatalogServiceClient = await mesh.client("orders", CatalogServiceBinding, service.address);
  const admin = await tokens.bearer("admin");
  const customer = await tokens.bearer("customer");
  return { mesh, tokens, service, gateway, orders, admin, customer, consumer };
}

/** The RpcError a call failed with (fails the test if it succeeded). */
export async function failure(call: Promise<unknown>): Promise<RpcError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof RpcError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}
