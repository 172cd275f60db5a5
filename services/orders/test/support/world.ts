// A test world for orders: fakes of catalog, inventory, payments and identity served over the
// mesh under their workload names, an orders client that calls as the gateway, and helpers.
import { CatalogServiceBinding } from "@weft/gen/shop/catalog/v1/catalog_weft.js";
import { IdentityServiceBinding } from "@weft/gen/shop/identity/v1/identity_weft.js";
import { InventoryServiceBinding } from "@weft/gen/shop/inventory/v1/inventory_weft.js";
import { type Order, OrderStatus } from "@weft/gen/shop/orders/v1/orders_pb.js";
import { OrderServiceBinding, type OrderServiceClient } from "@weft/gen/shop/orders/v1/orders_weft.js";
import { PaymentServiceBinding } from "@weft/gen/shop/payments/v1/payments_weft.js";
import { createMesh, type Mesh, provide } from "@weft/mesh";
import { TestMesh } from "@weft/mesh/testing";
import { FakeCatalog, FakeIdentity, FakeInventory, FakePayments } from "./fakes.ts";

/** Saga settings that make the tests fast; SAGA_STEP_TIMEOUT_SECONDS short enough to watch it expire. */
export const fastSagaEnv = {
  SAGA_STEP_TIMEOUT_SECONDS: "2",
  // The safety poll out of reach: sagas must advance on nudges and due times alone.
  SAGA_POLL_INTERVAL_MS: "600000",
  SAGA_BACKOFF_BASE_MS: "50",
  SAGA_BACKOFF_MAX_MS: "200",
  SAGA_CALL_TIMEOUT_MS: "2000",
  SAGA_LEASE_MS: "4000",
  WATCH_POLL_MS: "50",
  CANCEL_WAIT_MS: "3000",
};

export class OrdersWorld {
  readonly testMesh = new TestMesh();
  readonly catalog = new FakeCatalog();
  readonly inventory = new FakeInventory();
  readonly payments = new FakePayments();
  identity!: FakeIdentity;
  private readonly meshes: Mesh[] = [];
  private addresses: Record<string, string> = {};

  async start(): Promise<void> {
    this.identity = await FakeIdentity.create();
    const serve = async (name: string, service: Parameters<Mesh["serve"]>[0][number]) => {
      const mesh = await createMesh({ name, config: this.testMesh.config() });
      this.meshes.push(mesh);
      const server = await mesh.serve([service]);
      this.addresses[name] = `127.0.0.1:${server.port}`;
    };
    await serve("catalog", provide(CatalogServiceBinding, this.catalog.handlers()));
    await serve("inventory", provide(InventoryServiceBinding, this.inventory.handlers()));
    await serve("payments", provide(PaymentServiceBinding, this.payments.handlers()));
    await serve("identity", provide(IdentityServiceBinding, this.identity.handlers()));
  }

  /** The environment orders needs to find its upstreams, plus fast saga settings. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      CATALOG_ADDR: this.addresses.catalog!,
      INVENTORY_ADDR: this.addresses.inventory!,
      PAYMENTS_ADDR: this.addresses.payments!,
      IDENTITY_ADDR: this.addresses.identity!,
      ...fastSagaEnv,
      ...extra,
    };
  }

  /** OrderService as the gateway calls it. */
  client(address: string): Promise<OrderServiceClient> {
    return this.testMesh.client("gateway", OrderServiceBinding, address);
  }

  async as(userId: string, role = "customer"): Promise<{ metadata: Record<string, string> }> {
    return { metadata: { authorization: `Bearer ${await this.identity.token(userId, role)}` } };
  }

  async close(): Promise<void> {
    await this.testMesh.close();
    await Promise.all(this.meshes.map((m) => m.close()));
  }
}

export const terminal = new Set([OrderStatus.CONFIRMED, OrderStatus.REJECTED, OrderStatus.CANCELLED]);

/** Polls GetOrder until the order leaves PENDING (or reaches `status`). */
export async function settle(
  client: OrderServiceClient,
  id: string,
  auth: { metadata: Record<string, string> },
  status?: OrderStatus,
  timeoutMs = 10_000,
): Promise<Order> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { order } = await client.getOrder({ id }, auth);
    if (order && (status === undefined ? terminal.has(order.status) : order.status === status)) return order;
    if (Date.now() > until)
      throw new Error(`order ${id} still ${OrderStatus[order?.status ?? 0]} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
