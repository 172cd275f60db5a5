import { InventoryServiceBinding, type InventoryServiceClient } from "@weft/gen/shop/inventory/v1/inventory_weft.js";
import { RpcError } from "@weft/mesh";
import { TestMesh, TestTokens } from "@weft/mesh/testing";
import { inventoryService } from "../../src/service.ts";

/** The inventory service running for real (fresh database, real NATS, istio/ policies), and its callers. */
export async function startInventory(env: Record<string, string> = {}) {
  const mesh = new TestMesh();
  const tokens = await TestTokens.create();
  const service = await mesh.start(inventoryService(), { env, verifier: tokens.verifier() });
  const orders: InventoryServiceClient = await mesh.client("orders", InventoryServiceBinding, service.address);
  const gateway: InventoryServiceClient = await mesh.client("gateway", InventoryServiceBinding, service.address);
  // GetReservation is called by no service of the shop: only the test's own probe may read one back.
  const operator: InventoryServiceClient = await mesh.operator(InventoryServiceBinding, service.address);
  const admin = await tokens.bearer("admin");
  /** Sets a product's on_hand as an admin through the gateway. */
  async function stockUp(productId: string, units: number): Promise<void> {
    await gateway.adjustStock({ productId, delta: BigInt(units), reason: "delivery" }, admin);
  }
  return { mesh, tokens, service, orders, gateway, operator, admin, stockUp, close: () => mesh.close() };
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
