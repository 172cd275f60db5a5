// Crash safety: all saga state is in the database, so an orders service that stops mid-saga
// (gracefully, or dead with its leases still on the rows) is replaced by a new one on the same
// database that finishes every saga exactly once.
import { join } from "node:path";
import { OrderStatus } from "@weft/gen/shop/orders/v1/orders_pb.js";
import { type RunningService, startService } from "@weft/mesh";
import { createTestDatabase, type TestDatabase } from "@weft/mesh/testing";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ordersService } from "../src/service.ts";
import type * as schema from "../src/store/schema.ts";
import { sagas } from "../src/store/schema.ts";
import { OrdersWorld, settle } from "./support/world.ts";

const world = new OrdersWorld();
let database: TestDatabase;
const running: RunningService<typeof schema>[] = [];

beforeAll(async () => {
  await world.start();
  database = await createTestDatabase("orders_recovery");
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  await world.close();
  await database?.drop();
});

/** An orders replica on the shared database. */
async function startOrders(env: Record<string, string> = {}) {
  const service = await startService(ordersService(), {
    mesh: world.testMesh.config({ breakerThreshold: 1000 }),
    settings: { databaseUrl: database.url, dataDir: join(world.testMesh.dir, "data") },
    // A generous step timeout: slow restarts on a busy machine must not turn into rejections here.
    env: { ...process.env, ...world.env({ SAGA_STEP_TIMEOUT_SECONDS: "30", ...env }) },
  });
  running.push(service);
  const client = await world.client(`127.0.0.1:${service.server.port}`);
  return { service, client };
}

function product(units: number): string {
  const id = world.catalog.add(700n);
  world.inventory.stock(id, units);
  return id;
}

describe("crash recovery", () => {
  it("a saga stopped while its charge was in flight finishes on a new replica with exactly one charge", async () => {
    const alice = await world.as("alice");
    const first = await startOrders();
    let charged!: () => void;
    const chargeRecorded = new Promise<void>((resolve) => {
      charged = resolve;
    });
    // Payments takes the money, then never answers: orders cannot know whether it was charged.
    world.payments.afterCharge = (_orderId, signal) => {
      charged();
      return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    };
    const p = product(3);
    const { order: placed } = await first.client.placeOrder(
      { items: [{ productId: p, quantity: 2 }], paymentMethod: "tok_visa" },
      alice,
    );
    await chargeRecorded;
    expect((await first.client.getOrder({ id: placed!.id }, alice)).order?.status).toBe(OrderStatus.PENDING);
    await first.service.stop();
    world.payments.afterCharge = undefined;
    const callsBefore = world.payments.chargeCalls;

    const second = await startOrders();
    const order = await settle(second.client, placed!.id, alice);
    expect(order.status).toBe(OrderStatus.CONFIRMED);
    // The new replica asked again with the same key and was given the first payment.
    expect(world.payments.chargeCalls).toBeGreaterThan(callsBefore);
    const charges = world.payments.succeededFor(placed!.id);
    expect(charges).toHaveLength(1);
    expect(order.paymentId).toBe(charges[0]!.id);
    expect(world.inventory.available.get(p)).toBe(1);
    await second.service.stop();
  });

  it("an order placed by a replica that died before running its saga is resumed after the dead lease lapses", async () => {
    const bob = await world.as("bob");
    // A replica that only serves the API: its orders wait for a runner elsewhere.
    const apiOnly = await startOrders({ SAGA_RUNNER_ENABLED: "false" });
    const p = product(1);
    const { order: placed } = await apiOnly.client.placeOrder(
      { items: [{ productId: p, quantity: 1 }], paymentMethod: "tok_visa" },
      bob,
    );
    await apiOnly.service.stop();
    // What kill -9 leaves behind: a lease on the row that nobody will hand back.
    const { service: survivor } = await startOrders({ SAGA_RUNNER_ENABLED: "false" });
    const leaseUntil = new Date(Date.now() + 4_000);
    await survivor.db
      .update(sagas)
      .set({ leaseToken: "dead-replica", leaseUntil })
      .where(eq(sagas.orderId, placed!.id));
    await survivor.stop();

    const { client: resumed } = await startOrders();
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (Date.now() < leaseUntil.getTime() - 500) {
      expect((await resumed.getOrder({ id: placed!.id }, bob)).order?.status).toBe(OrderStatus.PENDING);
    }
    const order = await settle(resumed, placed!.id, bob, undefined, 15_000);
    expect(order.status).toBe(OrderStatus.CONFIRMED);
    expect(Date.now()).toBeGreaterThanOrEqual(leaseUntil.getTime());
    expect(world.payments.succeededFor(placed!.id)).toHaveLength(1);
  });

  it("a runner with one slot takes the orders placed while it is busy in turn: each confirmed once", async () => {
    const carol = await world.as("carol");
    const { service, client } = await startOrders({ SAGA_MAX_IN_FLIGHT: "1" });
    const p = product(6);
    // The first order takes the slot from PlaceOrder's own transaction; the others find it busy
    // and are written unclaimed, for the loop to claim when the slot frees up.
    const placed = await Promise.all(
      Array.from({ length: 6 }, () =>
        client.placeOrder({ items: [{ productId: p, quantity: 1 }], paymentMethod: "tok_visa" }, carol),
      ),
    );
    for (const { order } of placed) {
      expect((await settle(client, order!.id, carol)).status).toBe(OrderStatus.CONFIRMED);
      expect(world.payments.succeededFor(order!.id)).toHaveLength(1);
    }
    expect(world.inventory.available.get(p)).toBe(0);
    await service.stop();
  });
});
