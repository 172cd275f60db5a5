// Orders against the real PostgreSQL and NATS, with fakes of catalog, inventory, payments and
// identity served over the mesh: the saga end to end, the API's rules and its bad-input answers.
import { OrderStatus } from "@weft/gen/shop/orders/v1/orders_pb.js";
import type { OrderServiceClient } from "@weft/gen/shop/orders/v1/orders_weft.js";
import { Code, RpcError } from "@weft/mesh";
import { outbox } from "@weft/mesh/events";
import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ordersService } from "../src/service.ts";
import { orders, sagas } from "../src/store/schema.ts";
import { OrdersWorld, settle } from "./support/world.ts";

const world = new OrdersWorld();
let service: Awaited<ReturnType<typeof world.testMesh.start<typeof import("../src/store/schema.ts")>>>;
let client: OrderServiceClient;
let alice: { metadata: Record<string, string> };
let bob: { metadata: Record<string, string> };

beforeAll(async () => {
  await world.start();
  // A high breaker threshold: the always-failing payments test must not open the breaker for the rest.
  service = await world.testMesh.start(ordersService(), { env: world.env(), mesh: { breakerThreshold: 1000 } });
  client = await world.client(service.address);
  alice = await world.as("alice");
  bob = await world.as("bob");
});

afterAll(() => world.close());

/** A product in stock at a price, ready to order. */
function product(units: number, priceMinor = 1_000n): string {
  const id = world.catalog.add(priceMinor);
  world.inventory.stock(id, units);
  return id;
}

async function place(items: { productId: string; quantity: number }[], paymentMethod = "tok_visa", key = "") {
  const { order } = await client.placeOrder({ items, paymentMethod, idempotencyKey: key }, alice);
  return order!;
}

async function failure(call: Promise<unknown>): Promise<RpcError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RpcError)) throw new Error(`expected an RpcError, got ${String(error)}`);
  return error;
}

describe("the order saga", () => {
  it("happy path: PENDING at once, then CONFIRMED with the stock committed and one charge", async () => {
    const p = product(5, 1_250n);
    const placed = await place([{ productId: p, quantity: 2 }]);
    expect(placed.status).toBe(OrderStatus.PENDING);
    expect(placed.total).toMatchObject({ amountMinor: 2_500n, currency: "USD" });
    expect(placed.lines[0]).toMatchObject({ productId: p, quantity: 2, unitPrice: { amountMinor: 1_250n } });
    const order = await settle(client, placed.id, alice);
    expect(order.status).toBe(OrderStatus.CONFIRMED);
    const charges = world.payments.succeededFor(placed.id);
    expect(charges).toHaveLength(1);
    expect(order.paymentId).toBe(charges[0]!.id);
    expect(charges[0]!.amountMinor).toBe(2_500n);
    expect(world.inventory.reservationOf(placed.id)?.state).toBe(3 /* COMMITTED */);
    expect(world.inventory.available.get(p)).toBe(3);
    expect(world.inventory.calls).toContain(`reserve ${placed.id}:reserve`);
    expect(world.inventory.calls).toContain(`commit ${placed.id}:commit`);
    // OrderPlaced and OrderConfirmed went out through the outbox to JetStream (published on commit,
    // marked published with the others of their second).
    await expect
      .poll(
        async () => {
          const rows = await service.db.select().from(outbox).where(eq(outbox.subject, placed.id));
          return rows.map((row) => [row.type, row.publishedAt !== null]);
        },
        { timeout: 5_000 },
      )
      .toEqual([
        ["shop.orders.v1.OrderPlaced", true],
        ["shop.orders.v1.OrderConfirmed", true],
      ]);
  });

  it("one lease from PlaceOrder to the end: each step goes straight on with the next, no claim between", async () => {
    const leaseOf = async (id: string) =>
      (await service.db.select({ token: sagas.leaseToken }).from(sagas).where(eq(sagas.orderId, id)))[0]?.token;
    let placedLease: string | null | undefined;
    let leaseAtCharge: string | null | undefined;
    let placedRead!: () => void;
    const read = new Promise<void>((resolve) => {
      placedRead = resolve;
    });
    // Held at the charge until the lease PlaceOrder wrote has been read, so both reads see a live saga.
    world.payments.beforeCharge = async (orderId) => {
      await read;
      leaseAtCharge = await leaseOf(orderId);
    };
    try {
      const placed = await place([{ productId: product(1), quantity: 1 }]);
      placedLease = await leaseOf(placed.id);
      placedRead();
      expect((await settle(client, placed.id, alice)).status).toBe(OrderStatus.CONFIRMED);
    } finally {
      world.payments.beforeCharge = undefined;
    }
    expect(placedLease).toEqual(expect.any(String));
    // A claim by the loop would have stamped a token of its own.
    expect(leaseAtCharge).toBe(placedLease);
  });

  it("insufficient stock: REJECTED with INSUFFICIENT_STOCK, nothing charged", async () => {
    const p = product(1);
    const placed = await place([{ productId: p, quantity: 2 }]);
    const order = await settle(client, placed.id, alice);
    expect(order.status).toBe(OrderStatus.REJECTED);
    expect(order.statusReason).toBe("INSUFFICIENT_STOCK");
    expect(world.payments.succeededFor(placed.id)).toHaveLength(0);
    expect(world.inventory.available.get(p)).toBe(1);
  });

  it("declined card: REJECTED with CARD_DECLINED and the reservation released", async () => {
    const p = product(3);
    const placed = await place([{ productId: p, quantity: 2 }], "tok_decline");
    const order = await settle(client, placed.id, alice);
    expect(order.status).toBe(OrderStatus.REJECTED);
    expect(order.statusReason).toBe("CARD_DECLINED");
    expect(world.inventory.reservationOf(placed.id)?.state).toBe(2 /* RELEASED */);
    expect(world.inventory.available.get(p)).toBe(3);
    expect(world.payments.succeededFor(placed.id)).toHaveLength(0);
  });

  it("flaky payments failing twice, then answering: retried to CONFIRMED with one charge", async () => {
    world.payments.flakyFailuresLeft = 2;
    const p = product(2);
    const placed = await place([{ productId: p, quantity: 1 }], "tok_flaky");
    const order = await settle(client, placed.id, alice);
    expect(order.status).toBe(OrderStatus.CONFIRMED);
    expect(world.payments.flakyFailuresLeft).toBe(0);
    expect(world.payments.succeededFor(placed.id)).toHaveLength(1);
  });

  it("payments failing past the step deadline: compensated, REJECTED, stock released, no charge left", async () => {
    world.payments.flakyFailuresLeft = Number.POSITIVE_INFINITY;
    try {
      const p = product(2);
      const placed = await place([{ productId: p, quantity: 2 }], "tok_flaky");
      const order = await settle(client, placed.id, alice, undefined, 15_000);
      expect(order.status).toBe(OrderStatus.REJECTED);
      expect(order.statusReason).toBe("PAYMENT_UNAVAILABLE");
      expect(world.inventory.reservationOf(placed.id)?.state).toBe(2 /* RELEASED */);
      expect(world.inventory.available.get(p)).toBe(2);
      expect(world.payments.succeededFor(placed.id)).toHaveLength(0);
    } finally {
      world.payments.flakyFailuresLeft = 0;
    }
  });

  it("cancel after confirm: refunded, restocked, CANCELLED with OrderCancelled recorded", async () => {
    const p = product(4);
    const placed = await place([{ productId: p, quantity: 3 }]);
    await settle(client, placed.id, alice, OrderStatus.CONFIRMED);
    expect(world.inventory.available.get(p)).toBe(1);
    const { order } = await client.cancelOrder({ id: placed.id, reason: "changed my mind" }, alice);
    expect(order?.status).toBe(OrderStatus.CANCELLED);
    expect(order?.statusReason).toBe("CUSTOMER_REQUEST");
    const [payment] = world.payments.succeededFor(placed.id);
    expect(payment?.refundedMinor).toBe(payment?.amountMinor);
    expect(world.inventory.reservationOf(placed.id)?.state).toBe(5 /* RESTOCKED */);
    expect(world.inventory.available.get(p)).toBe(4);
    const events = await service.db.select().from(outbox);
    const types = events.filter((e) => e.subject === placed.id).map((e) => e.type);
    expect(types).toEqual([
      "shop.orders.v1.OrderPlaced",
      "shop.orders.v1.OrderConfirmed",
      "shop.orders.v1.OrderCancelled",
    ]);
    // Naturally idempotent: cancelling again returns it unchanged, with no second refund.
    const again = await client.cancelOrder({ id: placed.id }, alice);
    expect(again.order?.status).toBe(OrderStatus.CANCELLED);
    expect(again.order?.updateTime).toEqual(order?.updateTime);
  });

  it("cancel of a PENDING order held at the charge: refunded, released, CANCELLED", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    world.payments.beforeCharge = () => gate;
    try {
      const p = product(2);
      const placed = await place([{ productId: p, quantity: 1 }]);
      await expect.poll(() => world.inventory.reservationOf(placed.id)?.state).toBe(1 /* ACTIVE */);
      const cancelling = client.cancelOrder({ id: placed.id }, alice);
      await new Promise((resolve) => setTimeout(resolve, 100));
      release();
      const { order } = await cancelling;
      const final = order?.status === OrderStatus.CANCELLED ? order : await settle(client, placed.id, alice);
      expect(final.status).toBe(OrderStatus.CANCELLED);
      expect(final.statusReason).toBe("CUSTOMER_REQUEST");
      expect(world.inventory.available.get(p)).toBe(2);
      // The charge went through while the cancel waited: it is refunded, not kept.
      for (const payment of world.payments.succeededFor(placed.id))
        expect(payment.refundedMinor).toBe(payment.amountMinor);
    } finally {
      world.payments.beforeCharge = undefined;
      release();
    }
  });

  it("cancelling a REJECTED order fails with ORDER_NOT_CANCELLABLE", async () => {
    const placed = await place([{ productId: product(0), quantity: 1 }]);
    await settle(client, placed.id, alice, OrderStatus.REJECTED);
    const error = await failure(client.cancelOrder({ id: placed.id }, alice));
    expect(error.code).toBe(Code.FAILED_PRECONDITION);
    expect(error.reason).toBe("ORDER_NOT_CANCELLABLE");
  });

  it("the same idempotency key twice (also at once): one order, one charge", async () => {
    const p = product(10);
    const items = [{ productId: p, quantity: 1 }];
    const [first, second] = await Promise.all([place(items, "tok_visa", "key-1"), place(items, "tok_visa", "key-1")]);
    const third = await place(items, "tok_visa", "key-1");
    expect(second.id).toBe(first.id);
    expect(third.id).toBe(first.id);
    await settle(client, first.id, alice, OrderStatus.CONFIRMED);
    expect(world.payments.succeededFor(first.id)).toHaveLength(1);
    expect(world.inventory.available.get(p)).toBe(9);
    // A retry is answered with its order even once the catalog would not price it any more.
    world.catalog.products.get(p)!.active = false;
    expect((await place(items, "tok_visa", "key-1")).id).toBe(first.id);
    world.catalog.products.get(p)!.active = true;
    // The same key from another user is another order.
    const bobs = await client.placeOrder({ items, paymentMethod: "tok_visa", idempotencyKey: "key-1" }, bob);
    expect(bobs.order?.id).not.toBe(first.id);
  });

  it("WatchOrder streams PENDING, then CONFIRMED", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    world.payments.beforeCharge = () => gate;
    try {
      const placed = await place([{ productId: product(1), quantity: 1 }]);
      const seen: OrderStatus[] = [];
      for await (const { order } of client.watchOrder({ id: placed.id }, { ...alice, timeoutMs: 10_000 })) {
        seen.push(order!.status);
        if (seen.length === 1) release();
        if (order!.status !== OrderStatus.PENDING) break;
      }
      expect(seen[0]).toBe(OrderStatus.PENDING);
      expect(seen.at(-1)).toBe(OrderStatus.CONFIRMED);
    } finally {
      world.payments.beforeCharge = undefined;
      release();
    }
  });
});

describe("who sees what", () => {
  it("another user's order is NOT_FOUND to get, watch and cancel; lists show only one's own", async () => {
    const placed = await place([{ productId: product(1), quantity: 1 }]);
    expect((await failure(client.getOrder({ id: placed.id }, bob))).code).toBe(Code.NOT_FOUND);
    expect((await failure(client.cancelOrder({ id: placed.id }, bob))).code).toBe(Code.NOT_FOUND);
    const watching = (async () => {
      for await (const _ of client.watchOrder({ id: placed.id }, bob)) return;
    })();
    expect((await failure(watching)).code).toBe(Code.NOT_FOUND);
    const admin = await world.as("root", "admin");
    expect((await client.getOrder({ id: placed.id }, admin)).order?.id).toBe(placed.id);
    const bobsList = await client.listOrders({}, bob);
    expect(bobsList.orders.every((o) => o.userId === "bob")).toBe(true);
  });

  it("ListOrders pages newest first with opaque tokens", async () => {
    const carol = await world.as("carol");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { order } = await client.placeOrder(
        { items: [{ productId: product(1), quantity: 1 }], paymentMethod: "tok_visa" },
        carol,
      );
      ids.push(order!.id);
    }
    const first = await client.listOrders({ pageSize: 2 }, carol);
    expect(first.orders.map((o) => o.id)).toEqual([ids[2], ids[1]]);
    expect(first.nextPageToken).not.toBe("");
    const second = await client.listOrders({ pageSize: 2, pageToken: first.nextPageToken }, carol);
    expect(second.orders.map((o) => o.id)).toEqual([ids[0]]);
    expect(second.nextPageToken).toBe("");
  });

  it("calls without a valid token are UNAUTHENTICATED", async () => {
    expect((await failure(client.getOrder({ id: "x" }))).code).toBe(Code.UNAUTHENTICATED);
    const forged = { metadata: { authorization: "Bearer not.a.token" } };
    expect((await failure(client.listOrders({}, forged))).code).toBe(Code.UNAUTHENTICATED);
  });
});

describe("bad input", () => {
  async function rowCounts() {
    const [o] = await service.db.select({ n: count() }).from(orders);
    const [s] = await service.db.select({ n: count() }).from(sagas);
    // Sagas of earlier tests may still publish their outcomes; a bad request must not place one.
    const [e] = await service.db
      .select({ n: count() })
      .from(outbox)
      .where(eq(outbox.type, "shop.orders.v1.OrderPlaced"));
    return [o!.n, s!.n, e!.n];
  }

  it("answers INVALID_ARGUMENT with every field violation, and writes nothing", async () => {
    const before = await rowCounts();
    const p = product(5);
    const cases: Array<[request: Parameters<OrderServiceClient["placeOrder"]>[0], fields: string[]]> = [
      [{ items: [], paymentMethod: "" }, ["items", "payment_method"]],
      [{ items: [{ productId: p, quantity: 0 }], paymentMethod: "tok_visa" }, ["items[0].quantity"]],
      [{ items: [{ productId: p, quantity: -3 }], paymentMethod: "tok_visa" }, ["items[0].quantity"]],
      [{ items: [{ productId: p, quantity: 1001 }], paymentMethod: "tok_visa" }, ["items[0].quantity"]],
      [{ items: [{ productId: "", quantity: 1 }], paymentMethod: "tok_visa" }, ["items[0].product_id"]],
      [{ items: [{ productId: "x".repeat(10_000), quantity: 1 }], paymentMethod: "tok_visa" }, ["items[0].product_id"]],
      [
        {
          items: [
            { productId: p, quantity: 1 },
            { productId: p, quantity: 1 },
          ],
          paymentMethod: "tok_visa",
        },
        ["items[1].product_id"],
      ],
      [
        {
          items: Array.from({ length: 51 }, (_, i) => ({ productId: `p${i}`, quantity: 1 })),
          paymentMethod: "tok_visa",
        },
        ["items"],
      ],
      [{ items: [{ productId: p, quantity: 1 }], paymentMethod: "tok visa" }, ["payment_method"]],
      [
        { items: [{ productId: p, quantity: 1 }], paymentMethod: "tok_visa", idempotencyKey: "k".repeat(500) },
        ["idempotency_key"],
      ],
      [{ items: [{ productId: "unknown-product", quantity: 1 }], paymentMethod: "tok_visa" }, ["items"]],
    ];
    for (const [request, fields] of cases) {
      const error = await failure(client.placeOrder(request, alice));
      expect(error.code, JSON.stringify(fields)).toBe(Code.INVALID_ARGUMENT);
      expect(error.fieldViolations.map((v) => v.field)).toEqual(fields);
    }
    const inactive = world.catalog.add(100n, { active: false });
    const error = await failure(
      client.placeOrder(
        {
          items: [
            { productId: p, quantity: 1 },
            { productId: inactive, quantity: 1 },
          ],
          paymentMethod: "tok_visa",
        },
        alice,
      ),
    );
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.fieldViolations.map((v) => v.field)).toEqual(["items[1].product_id"]);
    expect(await rowCounts()).toEqual(before);
  });

  it("bad ids and page tokens are INVALID_ARGUMENT; unknown ids NOT_FOUND", async () => {
    expect((await failure(client.getOrder({ id: "" }, alice))).fieldViolations[0]?.field).toBe("id");
    expect((await failure(client.getOrder({ id: "../etc" }, alice))).code).toBe(Code.INVALID_ARGUMENT);
    expect((await failure(client.getOrder({ id: "0190aaaa-0000-7000-8000-000000000000" }, alice))).code).toBe(
      Code.NOT_FOUND,
    );
    expect((await failure(client.listOrders({ pageToken: "garbage!" }, alice))).fieldViolations[0]?.field).toBe(
      "page_token",
    );
    expect((await failure(client.listOrders({ pageSize: -1 }, alice))).fieldViolations[0]?.field).toBe("page_size");
    const cancel = await failure(client.cancelOrder({ id: "x", reason: "r".repeat(5_000) }, alice));
    expect(cancel.fieldViolations.map((v) => v.field)).toEqual(["reason"]);
  });
});
