import { randomUUID } from "node:crypto";
import { Code } from "@weft/mesh";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as schema from "../src/store/schema.ts";
import { failure, startInventory } from "./support/world.ts";

let world: Awaited<ReturnType<typeof startInventory>>;
beforeAll(async () => {
  world = await startInventory();
});
afterAll(() => world?.close());

it("never oversells: 50 concurrent reservations of 1 unit against a stock of 10 → exactly 10 succeed", async () => {
  const p = `p-${randomUUID()}`;
  await world.stockUp(p, 10);
  const outcomes = await Promise.allSettled(
    Array.from({ length: 50 }, (_, i) =>
      world.orders.reserve({ orderId: `o-${i}`, lines: [{ productId: p, quantity: 1 }], idempotencyKey: `${p}-${i}` }),
    ),
  );
  const succeeded = outcomes.filter((o) => o.status === "fulfilled");
  expect(succeeded).toHaveLength(10);
  for (const o of outcomes) {
    if (o.status === "rejected") {
      const error = await failure(Promise.reject(o.reason));
      expect(error.code).toBe(Code.FAILED_PRECONDITION);
      expect(error.reason).toBe("INSUFFICIENT_STOCK");
    }
  }
  const { stock } = await world.gateway.getStock({ productId: p });
  expect([stock!.onHand, stock!.reserved, stock!.available]).toEqual([10n, 10n, 0n]);
  expect(stock!.version).toBe(11n); // one adjustment + ten reservations, no lost updates

  // The database agrees: ten ACTIVE reservations holding one unit each, stock row at 0 available.
  const [row] = await world.service.db.select().from(schema.stock).where(eq(schema.stock.productId, p));
  expect(row!.onHand - row!.reserved).toBe(0n);
  const lines = await world.service.db
    .select()
    .from(schema.reservationLines)
    .where(eq(schema.reservationLines.productId, p));
  expect(lines).toHaveLength(10);
  expect(lines.reduce((sum, l) => sum + l.quantity, 0)).toBe(10);
});

it("keeps every invariant while reservations, releases and commits race on two products", async () => {
  const [a, b] = [`p-${randomUUID()}`, `p-${randomUUID()}`];
  await world.stockUp(a, 20);
  await world.stockUp(b, 20);
  // Lines in both orders: without product-ordered locking these would deadlock.
  const attempts = await Promise.allSettled(
    Array.from({ length: 40 }, (_, i) =>
      world.orders.reserve({
        orderId: `o-${i}`,
        lines:
          i % 2 === 0
            ? [
                { productId: a, quantity: 1 },
                { productId: b, quantity: 1 },
              ]
            : [
                { productId: b, quantity: 1 },
                { productId: a, quantity: 1 },
              ],
        idempotencyKey: `${a}-${i}`,
      }),
    ),
  );
  const held = attempts.flatMap((o) => (o.status === "fulfilled" ? [o.value.reservation!] : []));
  expect(held).toHaveLength(20);
  await Promise.all(
    held.map((r, i) =>
      i % 2 === 0 ? world.orders.commit({ reservationId: r.id }) : world.orders.release({ reservationId: r.id }),
    ),
  );
  for (const p of [a, b]) {
    const { stock } = await world.gateway.getStock({ productId: p });
    expect([stock!.onHand, stock!.reserved, stock!.available]).toEqual([10n, 0n, 10n]);
  }
});
