import { randomUUID } from "node:crypto";
import { ReservationState } from "@weft/gen/shop/inventory/v1/inventory_pb.js";
import { Code } from "@weft/mesh";
import { outbox } from "@weft/mesh/events";
import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as schema from "../src/store/schema.ts";
import { failure, startInventory } from "./support/world.ts";

let world: Awaited<ReturnType<typeof startInventory>>;
beforeAll(async () => {
  world = await startInventory();
});
afterAll(() => world?.close());

const product = () => `p-${randomUUID()}`;
const key = () => `k-${randomUUID()}`;

async function stockOf(productId: string) {
  return (await world.gateway.getStock({ productId })).stock!;
}

async function reserve(lines: Array<[string, number]>, options: { key?: string; ttlSeconds?: number } = {}) {
  const { reservation } = await world.orders.reserve({
    orderId: `o-${randomUUID()}`,
    lines: lines.map(([productId, quantity]) => ({ productId, quantity })),
    idempotencyKey: options.key ?? key(),
    ttl: options.ttlSeconds === undefined ? undefined : { seconds: BigInt(options.ttlSeconds) },
  });
  return reservation!;
}

/** The event types recorded for the given subjects, oldest first. */
async function eventsAbout(...subjects: string[]): Promise<string[]> {
  const rows = await world.service.db
    .select()
    .from(outbox)
    .where(inArray(outbox.subject, subjects))
    .orderBy(outbox.createdAt, outbox.id);
  return rows.map((r) => r.type.replace("shop.inventory.v1.", ""));
}

describe("stock levels", () => {
  it("reads a product never stocked as all zeros", async () => {
    const stock = await stockOf(product());
    expect([stock.onHand, stock.reserved, stock.available, stock.version]).toEqual([0n, 0n, 0n, 0n]);
    expect(stock.updateTime).toBeUndefined();
  });

  it("adjusts on_hand as an admin, bumping the version, with a StockAdjusted event", async () => {
    const p = product();
    const first = (await world.gateway.adjustStock({ productId: p, delta: 5n, reason: "delivery" }, world.admin))
      .stock!;
    expect([first.onHand, first.available, first.version]).toEqual([5n, 5n, 1n]);
    const second = (await world.gateway.adjustStock({ productId: p, delta: -2n, reason: "stock count" }, world.admin))
      .stock!;
    expect([second.onHand, second.available, second.version]).toEqual([3n, 3n, 2n]);
    expect(await eventsAbout(p)).toEqual(["StockAdjusted", "StockAdjusted"]);
  });

  it("applies a repeated adjustment key once and answers with the first result", async () => {
    const p = product();
    const request = { productId: p, delta: 4n, reason: "delivery", idempotencyKey: key() };
    const first = (await world.gateway.adjustStock(request, world.admin)).stock!;
    await world.gateway.adjustStock({ productId: p, delta: 1n, reason: "delivery" }, world.admin);
    const replay = (await world.gateway.adjustStock(request, world.admin)).stock!;
    expect(replay.onHand).toBe(first.onHand);
    expect(replay.version).toBe(first.version);
    expect((await stockOf(p)).onHand).toBe(5n);
    const reused = await failure(world.gateway.adjustStock({ ...request, delta: 9n }, world.admin));
    expect(reused.code).toBe(Code.INVALID_ARGUMENT);
    expect(reused.fieldViolations.map((f) => f.field)).toEqual(["idempotency_key"]);
  });

  it("refuses an adjustment below available with INSUFFICIENT_STOCK and changes nothing", async () => {
    const p = product();
    await world.stockUp(p, 3);
    await reserve([[p, 2]]);
    const error = await failure(world.gateway.adjustStock({ productId: p, delta: -2n, reason: "loss" }, world.admin));
    expect(error.code).toBe(Code.FAILED_PRECONDITION);
    expect(error.reason).toBe("INSUFFICIENT_STOCK");
    const stock = await stockOf(p);
    expect([stock.onHand, stock.reserved, stock.available]).toEqual([3n, 2n, 1n]);
  });

  it("lets only admins adjust: no token UNAUTHENTICATED, a customer PERMISSION_DENIED", async () => {
    const p = product();
    const anonymous = await failure(world.gateway.adjustStock({ productId: p, delta: 1n }));
    expect(anonymous.code).toBe(Code.UNAUTHENTICATED);
    const customer = await failure(
      world.gateway.adjustStock({ productId: p, delta: 1n }, await world.tokens.bearer("customer")),
    );
    expect(customer.code).toBe(Code.PERMISSION_DENIED);
    const forged = await failure(
      world.gateway.adjustStock({ productId: p, delta: 1n }, { metadata: { authorization: "Bearer not.a.jwt" } }),
    );
    expect(forged.code).toBe(Code.UNAUTHENTICATED);
    expect((await stockOf(p)).version).toBe(0n);
  });

  it("keeps reservations internal: the gateway may not reserve (mesh policy)", async () => {
    const error = await failure(
      world.gateway.reserve({ orderId: "o1", lines: [{ productId: product(), quantity: 1 }], idempotencyKey: key() }),
    );
    expect(error.code).toBe(Code.PERMISSION_DENIED);
  });
});

describe("reservations", () => {
  it("reserve → commit lowers on_hand; events StockReserved, StockCommitted", async () => {
    const p = product();
    await world.stockUp(p, 10);
    const held = await reserve([[p, 3]]);
    expect(held.state).toBe(ReservationState.ACTIVE);
    let stock = await stockOf(p);
    expect([stock.onHand, stock.reserved, stock.available]).toEqual([10n, 3n, 7n]);
    const { reservation } = await world.orders.commit({ reservationId: held.id });
    expect(reservation!.state).toBe(ReservationState.COMMITTED);
    stock = await stockOf(p);
    expect([stock.onHand, stock.reserved, stock.available]).toEqual([7n, 0n, 7n]);
    expect(await eventsAbout(held.id)).toEqual(["StockReserved", "StockCommitted"]);
    // Committing again is a retry: unchanged, nothing moves.
    const again = await world.orders.commit({ reservationId: held.id });
    expect(again.reservation!.state).toBe(ReservationState.COMMITTED);
    expect((await stockOf(p)).onHand).toBe(7n);
  });

  it("release returns the stock; releasing again is a no-op; committing it is refused", async () => {
    const p = product();
    await world.stockUp(p, 4);
    const held = await reserve([[p, 4]]);
    expect((await stockOf(p)).available).toBe(0n);
    const released = (await world.orders.release({ reservationId: held.id, reason: "PAYMENT_FAILED" })).reservation!;
    expect(released.state).toBe(ReservationState.RELEASED);
    expect((await stockOf(p)).available).toBe(4n);
    const again = (await world.orders.release({ reservationId: held.id })).reservation!;
    expect(again.state).toBe(ReservationState.RELEASED);
    expect((await stockOf(p)).available).toBe(4n);
    const commit = await failure(world.orders.commit({ reservationId: held.id }));
    expect(commit.code).toBe(Code.FAILED_PRECONDITION);
    expect(commit.reason).toBe("RESERVATION_NOT_ACTIVE");
    expect(await eventsAbout(held.id)).toEqual(["StockReserved", "StockReleased"]);
  });

  it("restock puts committed units back on hand, once; releasing a committed one is refused", async () => {
    const p = product();
    await world.stockUp(p, 5);
    const held = await reserve([[p, 2]]);
    const notCommitted = await failure(world.orders.restock({ reservationId: held.id }));
    expect(notCommitted.reason).toBe("RESERVATION_NOT_COMMITTED");
    await world.orders.commit({ reservationId: held.id });
    const release = await failure(world.orders.release({ reservationId: held.id }));
    expect(release.code).toBe(Code.FAILED_PRECONDITION);
    expect(release.reason).toBe("RESERVATION_COMMITTED");
    expect((await stockOf(p)).onHand).toBe(3n);
    const restocked = (await world.orders.restock({ reservationId: held.id, reason: "ORDER_CANCELLED" })).reservation!;
    expect(restocked.state).toBe(ReservationState.RESTOCKED);
    await world.orders.restock({ reservationId: held.id, reason: "ORDER_CANCELLED" });
    const stock = await stockOf(p);
    expect([stock.onHand, stock.reserved, stock.available]).toEqual([5n, 0n, 5n]);
    expect(await eventsAbout(held.id)).toEqual(["StockReserved", "StockCommitted", "StockRestocked"]);
  });

  it("replays a repeated Reserve key: the same reservation, nothing more held", async () => {
    const p = product();
    await world.stockUp(p, 10);
    const k = key();
    const first = await reserve([[p, 3]], { key: k });
    const replay = await reserve([[p, 3]], { key: k });
    expect(replay.id).toBe(first.id);
    expect((await stockOf(p)).reserved).toBe(3n);
    // Whatever its state now: the replay of a committed reservation is that reservation.
    await world.orders.commit({ reservationId: first.id });
    const afterCommit = await reserve([[p, 3]], { key: k });
    expect(afterCommit.id).toBe(first.id);
    expect(afterCommit.state).toBe(ReservationState.COMMITTED);
    expect((await stockOf(p)).onHand).toBe(7n);
  });

  it("is all or nothing: one short line fails with INSUFFICIENT_STOCK naming it, nothing held", async () => {
    const [plenty, scarce] = [product(), product()];
    await world.stockUp(plenty, 10);
    await world.stockUp(scarce, 1);
    const k = key();
    const error = await failure(
      reserve(
        [
          [plenty, 5],
          [scarce, 2],
        ],
        { key: k },
      ),
    );
    expect(error.code).toBe(Code.FAILED_PRECONDITION);
    expect(error.reason).toBe("INSUFFICIENT_STOCK");
    expect(
      error.findDetail((await import("@weft/gen/google/rpc/error_details_pb.js")).ErrorInfoSchema)?.metadata.product_id,
    ).toBe(scarce);
    expect((await stockOf(plenty)).reserved).toBe(0n);
    expect((await stockOf(scarce)).reserved).toBe(0n);
    const rows = await world.service.db
      .select()
      .from(schema.reservations)
      .where(inArray(schema.reservations.idempotencyKey, [k]));
    expect(rows).toHaveLength(0);
    // The key was not used up by the failure: once stock arrives, the same key succeeds.
    await world.stockUp(scarce, 1);
    expect(
      (
        await reserve(
          [
            [plenty, 5],
            [scarce, 2],
          ],
          { key: k },
        )
      ).state,
    ).toBe(ReservationState.ACTIVE);
  });

  it("expires an unresolved reservation after its ttl and returns its stock", async () => {
    const p = product();
    await world.stockUp(p, 2);
    const held = await reserve([[p, 2]], { ttlSeconds: 1 });
    expect((await stockOf(p)).available).toBe(0n);
    await expect
      .poll(async () => (await world.operator.getReservation({ id: held.id })).reservation!.state, {
        timeout: 5_000,
        interval: 200,
      })
      .toBe(ReservationState.EXPIRED);
    const stock = await stockOf(p);
    expect([stock.onHand, stock.reserved, stock.available]).toEqual([2n, 0n, 2n]);
    expect(await eventsAbout(held.id)).toEqual(["StockReserved", "ReservationExpired"]);
    // Release of an expired reservation is a retry; Commit is refused.
    expect((await world.orders.release({ reservationId: held.id })).reservation!.state).toBe(ReservationState.EXPIRED);
    expect((await failure(world.orders.commit({ reservationId: held.id }))).reason).toBe("RESERVATION_NOT_ACTIVE");
  });

  it("returns a reservation by id, with its lines in product order", async () => {
    const [a, b] = [product(), product()].sort();
    await world.stockUp(a!, 1);
    await world.stockUp(b!, 1);
    const held = await reserve([
      [b!, 1],
      [a!, 1],
    ]);
    const { reservation } = await world.operator.getReservation({ id: held.id });
    expect(reservation!.lines.map((l) => l.productId)).toEqual([a, b]);
    expect(reservation!.expireTime).toBeDefined();
  });
});

describe("bad input", () => {
  it.each([
    ["no order_id, lines or key", {}, ["order_id", "idempotency_key", "lines"]],
    [
      "a zero and a negative quantity",
      {
        orderId: "o",
        idempotencyKey: "k",
        lines: [
          { productId: "a", quantity: 0 },
          { productId: "b", quantity: -1 },
        ],
      },
      ["lines[0].quantity", "lines[1].quantity"],
    ],
    [
      "a repeated product",
      {
        orderId: "o",
        idempotencyKey: "k",
        lines: [
          { productId: "a", quantity: 1 },
          { productId: "a", quantity: 1 },
        ],
      },
      ["lines[1].product_id"],
    ],
    [
      "a huge order id",
      { orderId: "x".repeat(10_000), idempotencyKey: "k", lines: [{ productId: "a", quantity: 1 }] },
      ["order_id"],
    ],
    [
      "a negative ttl",
      { orderId: "o", idempotencyKey: "k", lines: [{ productId: "a", quantity: 1 }], ttl: { seconds: -5n } },
      ["ttl"],
    ],
  ])("Reserve with %s → INVALID_ARGUMENT naming the fields", async (_name, request, fields) => {
    const error = await failure(world.orders.reserve(request));
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.fieldViolations.map((f) => f.field)).toEqual(fields);
  });

  it("refuses bad AdjustStock, Release, Commit, Restock, GetStock and GetReservation input", async () => {
    const cases: Array<[() => Promise<unknown>, string[]]> = [
      [() => world.gateway.adjustStock({ productId: "", delta: 0n }, world.admin), ["product_id", "delta"]],
      [
        () => world.gateway.adjustStock({ productId: "a b", delta: 10_000_000_000n }, world.admin),
        ["product_id", "delta"],
      ],
      [() => world.orders.release({ reservationId: "" }), ["reservation_id"]],
      [() => world.orders.commit({ reservationId: "r", idempotencyKey: "k".repeat(500) }), ["idempotency_key"]],
      [() => world.orders.restock({ reservationId: "r", reason: "r".repeat(1_000) }), ["reason"]],
      [() => world.gateway.getStock({ productId: "" }), ["product_id"]],
      [() => world.operator.getReservation({ id: "" }), ["id"]],
    ];
    for (const [call, fields] of cases) {
      const error = await failure(call());
      expect(error.code).toBe(Code.INVALID_ARGUMENT);
      expect(error.fieldViolations.map((f) => f.field)).toEqual(fields);
    }
    expect(
      await world.service.db
        .select()
        .from(schema.adjustments)
        .where(inArray(schema.adjustments.productId, ["", "a b"])),
    ).toHaveLength(0);
  });

  it("answers unknown reservations with NOT_FOUND", async () => {
    for (const call of [
      () => world.operator.getReservation({ id: randomUUID() }),
      () => world.orders.release({ reservationId: randomUUID() }),
      () => world.orders.commit({ reservationId: randomUUID() }),
      () => world.orders.restock({ reservationId: randomUUID() }),
    ]) {
      expect((await failure(call())).code).toBe(Code.NOT_FOUND);
    }
  });
});
