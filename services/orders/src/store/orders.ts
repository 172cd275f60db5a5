// Queries on orders and their lines.
import type { Queryable } from "@weft/mesh/data";
import { and, asc, desc, eq, inArray, lt } from "drizzle-orm";
import type { PricedLine } from "../domain/pricing.ts";
import type { OrderStatusName } from "../domain/saga.ts";
import * as schema from "./schema.ts";

export type Schema = typeof schema;
export type Db = Queryable<Schema>;

export interface OrderRecord {
  id: string;
  userId: string;
  status: OrderStatusName;
  statusReason: string;
  currency: string;
  totalMinor: bigint;
  paymentId: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  lines: PricedLine[];
}

type OrderRow = typeof schema.orders.$inferSelect;

export async function findOrder(db: Db, id: string): Promise<OrderRecord | undefined> {
  const [row] = await db.select().from(schema.orders).where(eq(schema.orders.id, id));
  return row === undefined ? undefined : (await withLines(db, [row]))[0];
}

/** Several orders with their lines, by id (two queries, whatever their number). */
export async function findOrders(db: Db, ids: readonly string[]): Promise<Map<string, OrderRecord>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select()
    .from(schema.orders)
    .where(inArray(schema.orders.id, [...ids]));
  return new Map((await withLines(db, rows)).map((order) => [order.id, order]));
}

export async function findOrderByIdempotencyKey(db: Db, userId: string, key: string): Promise<OrderRecord | undefined> {
  const [row] = await db
    .select()
    .from(schema.orders)
    .where(and(eq(schema.orders.userId, userId), eq(schema.orders.idempotencyKey, key)));
  return row === undefined ? undefined : (await withLines(db, [row]))[0];
}

/** One page of a user's orders, newest first, after the given id (UUIDv7 sorts by time). */
export async function listOrdersOf(
  db: Db,
  userId: string,
  after: string | undefined,
  limit: number,
): Promise<OrderRecord[]> {
  const rows = await db
    .select()
    .from(schema.orders)
    .where(
      after === undefined
        ? eq(schema.orders.userId, userId)
        : and(eq(schema.orders.userId, userId), lt(schema.orders.id, after)),
    )
    .orderBy(desc(schema.orders.id))
    .limit(limit);
  return withLines(db, rows);
}

/** The order's change counter, cheap enough to poll for WatchOrder. */
export async function orderVersion(db: Db, id: string): Promise<number | undefined> {
  const [row] = await db.select({ version: schema.orders.version }).from(schema.orders).where(eq(schema.orders.id, id));
  return row?.version;
}

/**
 * Writes a new order and its lines; false, writing nothing, when the user already has an order
 * with this idempotency key (one committed, or one committing now: the insert waits for it).
 */
export async function insertOrder(
  db: Db,
  order: Omit<OrderRecord, "version" | "statusReason" | "paymentId"> & { idempotencyKey: string | null },
): Promise<boolean> {
  const inserted = await db
    .insert(schema.orders)
    .values({
      id: order.id,
      userId: order.userId,
      idempotencyKey: order.idempotencyKey,
      status: order.status,
      currency: order.currency,
      totalMinor: order.totalMinor,
      createdAt: order.createdAt,
      updatedAt: order.updatedAt,
    })
    .onConflictDoNothing({ target: [schema.orders.userId, schema.orders.idempotencyKey] })
    .returning({ id: schema.orders.id });
  if (inserted.length === 0) return false;
  await db.insert(schema.orderLines).values(
    order.lines.map((line, lineNo) => ({
      orderId: order.id,
      lineNo,
      productId: line.productId,
      quantity: line.quantity,
      unitPriceMinor: line.unitPriceMinor,
    })),
  );
  return true;
}

/** Applies a saga transition's effect on the order; every change bumps the version. */
export async function updateOrder(
  db: Db,
  id: string,
  change: { status?: OrderStatusName; statusReason?: string; paymentId?: string },
  now: Date,
): Promise<OrderRecord | undefined> {
  const current = await findOrder(db, id);
  if (current === undefined) return undefined;
  await db
    .update(schema.orders)
    .set({ ...change, version: current.version + 1, updatedAt: now })
    .where(eq(schema.orders.id, id));
  return { ...current, ...change, version: current.version + 1, updatedAt: now };
}

/** Locks the order row for the rest of the transaction. */
export async function lockOrder(db: Db, id: string): Promise<void> {
  await db.select({ id: schema.orders.id }).from(schema.orders).where(eq(schema.orders.id, id)).for("update");
}

async function withLines(db: Db, rows: OrderRow[]): Promise<OrderRecord[]> {
  if (rows.length === 0) return [];
  const lines = await db
    .select()
    .from(schema.orderLines)
    .where(
      inArray(
        schema.orderLines.orderId,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(asc(schema.orderLines.orderId), asc(schema.orderLines.lineNo));
  return rows.map((row) => ({
    id: row.id,
    userId: row.userId,
    status: row.status as OrderStatusName,
    statusReason: row.statusReason,
    currency: row.currency,
    totalMinor: row.totalMinor,
    paymentId: row.paymentId,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    lines: lines
      .filter((line) => line.orderId === row.id)
      .map((line) => ({ productId: line.productId, quantity: line.quantity, unitPriceMinor: line.unitPriceMinor })),
  }));
}
