// The saga runner's spans: one per step, in the PlaceOrder call's trace, with the step's upstream
// calls as its children and the attributes the console's saga timeline reads.
import { join } from "node:path";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { OrderStatus } from "@weft/gen/shop/orders/v1/orders_pb.js";
import { type RunningService, startService } from "@weft/mesh";
import { createTestDatabase, type TestDatabase } from "@weft/mesh/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InMemoryTracing, startInMemoryTracing } from "../../../mesh/test/telemetry/in-memory-tracing.ts";
import { ordersService } from "../src/service.ts";
import type * as schema from "../src/store/schema.ts";
import { OrdersWorld, settle } from "./support/world.ts";

let tracing: InMemoryTracing;
const world = new OrdersWorld();
let database: TestDatabase;
let orders: RunningService<typeof schema>;
let client: Awaited<ReturnType<OrdersWorld["client"]>>;

beforeAll(async () => {
  tracing = startInMemoryTracing();
  await world.start();
  database = await createTestDatabase("orders_saga_spans");
  orders = await startService(ordersService(), {
    mesh: world.testMesh.config({ breakerThreshold: 1000 }),
    settings: { databaseUrl: database.url, dataDir: join(world.testMesh.dir, "data") },
    env: { ...process.env, ...world.env() },
  });
  client = await world.client(`127.0.0.1:${orders.server.port}`);
});

afterAll(async () => {
  await orders?.stop();
  await world.close();
  await database?.drop();
  await tracing.stop();
});

function product(units: number): string {
  const id = world.catalog.add(500n);
  world.inventory.stock(id, units);
  return id;
}

/** The finished saga spans of one order, in the order their steps ran. */
function stepsOf(orderId: string): ReadableSpan[] {
  return tracing.exporter
    .getFinishedSpans()
    .filter((span) => span.attributes["saga.id"] === orderId)
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
}

async function place(paymentMethod: string): Promise<string> {
  const alice = await world.as("alice");
  const { order } = await client.placeOrder({ items: [{ productId: product(5), quantity: 1 }], paymentMethod }, alice);
  const settled = await settle(client, order!.id, alice);
  expect(settled.status).not.toBe(OrderStatus.PENDING);
  return order!.id;
}

describe("saga step spans", () => {
  it("a confirmed order: reserve, charge, commit in the PlaceOrder trace, each parent of its upstream call", async () => {
    const orderId = await place("tok_visa");
    await expect.poll(() => stepsOf(orderId).at(-1)?.attributes["saga.status"]).toBe("CONFIRMED");
    const steps = stepsOf(orderId);
    expect(steps.map((s) => s.attributes)).toEqual([
      {
        "saga.name": "order",
        "saga.id": orderId,
        "saga.step": "reserve",
        "saga.compensation": false,
        "saga.attempt": 1,
        "saga.outcome": "ok",
        "saga.status": "PENDING",
      },
      expect.objectContaining({ "saga.step": "charge", "saga.outcome": "ok", "saga.status": "PENDING" }),
      expect.objectContaining({ "saga.step": "commit", "saga.outcome": "ok", "saga.status": "CONFIRMED" }),
    ]);

    const spans = tracing.exporter.getFinishedSpans();
    const placeOrder = spans.find(
      (s) => s.kind === SpanKind.SERVER && s.name === "shop.orders.v1.OrderService/PlaceOrder",
    );
    expect(placeOrder).toBeDefined();
    for (const step of steps) {
      expect(step.spanContext().traceId).toBe(placeOrder!.spanContext().traceId);
      expect(step.parentSpanContext?.spanId).toBe(placeOrder!.spanContext().spanId);
    }
    const callOf = (step: ReadableSpan) =>
      spans.find((s) => s.kind === SpanKind.CLIENT && s.parentSpanContext?.spanId === step.spanContext().spanId);
    expect(steps.map((step) => callOf(step)?.name)).toEqual([
      "shop.inventory.v1.InventoryService/Reserve",
      "shop.payments.v1.PaymentService/Charge",
      "shop.inventory.v1.InventoryService/Commit",
    ]);
  });

  it("a declined card: the refused charge with its reason, then the release as a compensation", async () => {
    const orderId = await place("tok_decline");
    await expect.poll(() => stepsOf(orderId).at(-1)?.attributes["saga.status"]).toBe("REJECTED");
    expect(stepsOf(orderId).map((s) => s.attributes)).toEqual([
      expect.objectContaining({ "saga.step": "reserve", "saga.outcome": "ok", "saga.compensation": false }),
      expect.objectContaining({
        "saga.step": "charge",
        "saga.outcome": "refused",
        "saga.reason": "CARD_DECLINED",
        "saga.status": "PENDING",
      }),
      expect.objectContaining({
        "saga.step": "release",
        "saga.compensation": true,
        "saga.outcome": "ok",
        "saga.status": "REJECTED",
      }),
    ]);
  });

  it("a transient failure: each failed attempt an error span with its reason, then the next attempt", async () => {
    // Down until the saga has seen it fail (the mesh client's own retries come first), then back.
    world.payments.flakyFailuresLeft = Number.POSITIVE_INFINITY;
    const alice = await world.as("alice");
    const { order } = await client.placeOrder(
      { items: [{ productId: product(5), quantity: 1 }], paymentMethod: "tok_flaky" },
      alice,
    );
    const orderId = order!.id;
    try {
      await expect.poll(() => stepsOf(orderId).some((s) => s.attributes["saga.outcome"] === "transient")).toBe(true);
    } finally {
      world.payments.flakyFailuresLeft = 0;
    }
    await expect.poll(() => stepsOf(orderId).at(-1)?.attributes["saga.status"]).toBe("CONFIRMED");
    const charges = stepsOf(orderId).filter((s) => s.attributes["saga.step"] === "charge");
    expect(charges.length).toBeGreaterThan(1);
    charges.forEach((span, i) => {
      expect(span.attributes["saga.attempt"]).toBe(i + 1);
    });
    for (const failed of charges.slice(0, -1)) {
      expect(failed.attributes).toMatchObject({ "saga.outcome": "transient", "saga.reason": "PROVIDER_UNAVAILABLE" });
      expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    }
    expect(charges.at(-1)!.attributes["saga.outcome"]).toBe("ok");
  });
});
