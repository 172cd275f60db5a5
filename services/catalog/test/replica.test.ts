// The availability replica end to end: the real inventory service (started in the same test
// mesh) publishes stock events through its outbox, the catalog consumes them.
import { randomUUID } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { StockAdjustedSchema } from "@weft/gen/shop/inventory/v1/events_pb.js";
import { InventoryServiceBinding } from "@weft/gen/shop/inventory/v1/inventory_weft.js";
import { connectEventBus, type EventBus, envelopeHeaders } from "@weft/mesh/events";
import { afterAll, beforeAll, expect, it } from "vitest";
// Tests only: the catalog's code never imports another service.
import { inventoryService } from "../../inventory/src/service.ts";
import { startCatalog } from "./support/world.ts";

let world: Awaited<ReturnType<typeof startCatalog>>;
let bus: EventBus;
beforeAll(async () => {
  world = await startCatalog();
  bus = await connectEventBus({
    servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
    name: "catalog-replica-test",
  });
});
afterAll(async () => {
  await world?.mesh.close();
  await bus?.jsm.consumers.delete("SHOP_INVENTORY_V1", world.consumer).catch(() => {});
  await bus?.close();
});

async function availableOf(id: string): Promise<bigint> {
  return (await world.gateway.getProduct({ id })).product!.available;
}

async function newProduct(name: string) {
  const { product } = await world.gateway.createProduct(
    { product: { name, price: { amountMinor: 500n, currency: "USD" } } },
    world.admin,
  );
  return product!;
}

it("follows the inventory's stock events: adjust, reserve, release, commit", async () => {
  const inventory = await world.mesh.start(inventoryService(), { verifier: world.tokens.verifier() });
  const asGateway = await world.mesh.client("gateway", InventoryServiceBinding, inventory.address);
  const asOrders = await world.mesh.client("orders", InventoryServiceBinding, inventory.address);
  const product = await newProduct("Replicated lamp");
  const poll = { timeout: 10_000, interval: 100 };

  await asGateway.adjustStock({ productId: product.id, delta: 5n, reason: "delivery" }, world.admin);
  await expect.poll(() => availableOf(product.id), poll).toBe(5n);

  const held = (
    await asOrders.reserve({
      orderId: "o1",
      lines: [{ productId: product.id, quantity: 2 }],
      idempotencyKey: randomUUID(),
    })
  ).reservation!;
  await expect.poll(() => availableOf(product.id), poll).toBe(3n);

  await asOrders.release({ reservationId: held.id });
  await expect.poll(() => availableOf(product.id), poll).toBe(5n);

  const sold = (
    await asOrders.reserve({
      orderId: "o2",
      lines: [{ productId: product.id, quantity: 4 }],
      idempotencyKey: randomUUID(),
    })
  ).reservation!;
  await asOrders.commit({ reservationId: sold.id });
  await expect.poll(() => availableOf(product.id), poll).toBe(1n);
  // The replica changes availability only: the product's own update_time stays.
  expect((await world.gateway.getProduct({ id: product.id })).product!.updateTime).toEqual(product.updateTime);
});

/** Publishes a StockAdjusted as inventory's relay would (envelope headers, Nats-Msg-Id). */
async function publishAdjusted(productId: string, available: bigint, version: bigint): Promise<void> {
  const id = randomUUID();
  const headers = natsHeaders();
  headers.set(envelopeHeaders.id, id);
  headers.set(envelopeHeaders.type, StockAdjustedSchema.typeName);
  headers.set(envelopeHeaders.source, "shop/inventory");
  headers.set(envelopeHeaders.subject, productId);
  headers.set(envelopeHeaders.time, new Date().toISOString());
  const message = create(StockAdjustedSchema, {
    productId,
    delta: 1n,
    reason: "test",
    onHand: available,
    available,
    version,
  });
  await bus.js.publish(StockAdjustedSchema.typeName, toBinary(StockAdjustedSchema, message), { msgID: id, headers });
}

it("ignores an event older than the version it holds (out of order delivery)", async () => {
  const product = await newProduct("Out of order kettle");
  await publishAdjusted(product.id, 7n, 100n);
  await expect.poll(() => availableOf(product.id), { timeout: 10_000, interval: 100 }).toBe(7n);
  await publishAdjusted(product.id, 999n, 50n); // stale: version 50 < 100
  // Events are applied in stream order, so once a later marker is visible the stale one was seen.
  const marker = await newProduct("Marker");
  await publishAdjusted(marker.id, 1n, 1n);
  await expect.poll(() => availableOf(marker.id), { timeout: 10_000, interval: 100 }).toBe(1n);
  expect(await availableOf(product.id)).toBe(7n);
  await publishAdjusted(product.id, 6n, 101n);
  await expect.poll(() => availableOf(product.id), { timeout: 10_000, interval: 100 }).toBe(6n);
});
