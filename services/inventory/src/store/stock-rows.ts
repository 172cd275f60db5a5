import type { Queryable } from "@weft/mesh/data";
import { and, eq, sql } from "drizzle-orm";
import type { StockMovement } from "../domain/reservation.ts";
import { emptyStock, type Stock } from "../domain/stock.ts";
import * as schema from "./schema.ts";

export type Db = Queryable<typeof schema>;

const { stock } = schema;

function toStock(row: typeof stock.$inferSelect): Stock {
  return {
    productId: row.productId,
    onHand: row.onHand,
    reserved: row.reserved,
    version: row.version,
    updatedAt: row.updatedAt,
  };
}

export async function readStock(db: Db, productId: string): Promise<Stock> {
  const [row] = await db.select().from(stock).where(eq(stock.productId, productId));
  return row ? toStock(row) : emptyStock(productId);
}

/**
 * Moves one product's stock with a single conditional UPDATE: it applies only if every invariant
 * still holds afterwards, and it row-locks the product until the transaction ends. Concurrent
 * movers queue on the lock and re-check the condition against the committed row, so two of them
 * can never both take the last unit. Returns undefined when the movement would break an
 * invariant (or the product was never stocked).
 */
export async function moveStock(
  db: Db,
  productId: string,
  movement: StockMovement,
  now: Date,
): Promise<Stock | undefined> {
  const onHand = sql`${stock.onHand} + ${movement.onHand}`;
  const reserved = sql`${stock.reserved} + ${movement.reserved}`;
  const [row] = await db
    .update(stock)
    .set({ onHand: sql`${onHand}`, reserved: sql`${reserved}`, version: sql`${stock.version} + 1`, updatedAt: now })
    .where(
      and(
        eq(stock.productId, productId),
        sql`${onHand} >= 0`,
        sql`${reserved} >= 0`,
        sql`(${onHand}) - (${reserved}) >= 0`,
      ),
    )
    .returning();
  return row ? toStock(row) : undefined;
}

/** Adds units on hand, creating the product's stock row on its first delivery. */
export async function addOnHand(db: Db, productId: string, delta: bigint, now: Date): Promise<Stock> {
  const [row] = await db
    .insert(stock)
    .values({ productId, onHand: delta, reserved: 0n, version: 1n, updatedAt: now })
    .onConflictDoUpdate({
      target: stock.productId,
      set: { onHand: sql`${stock.onHand} + ${delta}`, version: sql`${stock.version} + 1`, updatedAt: now },
    })
    .returning();
  return toStock(row!);
}
