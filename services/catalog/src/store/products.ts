import type { Queryable } from "@weft/mesh/data";
import { and, desc, eq, ilike, inArray, or, type SQL, sql } from "drizzle-orm";
import type { PageCursor } from "../domain/page-token.ts";
import type { Product, ProductFields } from "../domain/product.ts";
import { containsPattern } from "../domain/search.ts";
import * as schema from "./schema.ts";

export type Db = Queryable<typeof schema>;

const { products, availability } = schema;

/** Product columns with the replica's availability joined in (0 until an event arrives). */
const productColumns = {
  id: products.id,
  name: products.name,
  description: products.description,
  priceMinor: products.priceMinor,
  currency: products.currency,
  active: products.active,
  createdAt: products.createdAt,
  updatedAt: products.updatedAt,
  available: sql<string>`coalesce(${availability.available}, 0)`.mapWith(BigInt),
};

type ProductRow = {
  id: string;
  name: string;
  description: string;
  priceMinor: bigint;
  currency: string;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
  available: bigint;
};

function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    price: { amountMinor: row.priceMinor, currency: row.currency },
    active: row.active,
    available: row.available,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function selectProducts(db: Db) {
  return db.select(productColumns).from(products).leftJoin(availability, eq(availability.productId, products.id));
}

export async function findProduct(db: Db, id: string): Promise<Product | undefined> {
  const [row] = await selectProducts(db).where(eq(products.id, id));
  return row ? toProduct(row) : undefined;
}

export async function findProducts(db: Db, ids: readonly string[]): Promise<Map<string, Product>> {
  if (ids.length === 0) return new Map();
  const rows = await selectProducts(db).where(inArray(products.id, [...ids]));
  return new Map(rows.map((r) => [r.id, toProduct(r)]));
}

export async function findProductByKey(db: Db, idempotencyKey: string): Promise<Product | undefined> {
  const [row] = await selectProducts(db).where(eq(products.idempotencyKey, idempotencyKey));
  return row ? toProduct(row) : undefined;
}

/** Locks a product for an update (FOR UPDATE), so concurrent updates apply one after the other. */
export async function lockProduct(db: Db, id: string): Promise<ProductFields | undefined> {
  const [row] = await db.select().from(products).where(eq(products.id, id)).for("update");
  return row
    ? {
        name: row.name,
        description: row.description,
        price: { amountMinor: row.priceMinor, currency: row.currency },
        active: row.active,
      }
    : undefined;
}

/**
 * Inserts a product unless its idempotency key is taken; a concurrent insert of the same key
 * waits on the unique index and then finds nothing inserted. Returns whether it inserted.
 */
export async function insertProduct(
  db: Db,
  product: { id: string; fields: ProductFields; idempotencyKey: string | null; now: Date },
): Promise<boolean> {
  const { fields, now } = product;
  const inserted = await db
    .insert(products)
    .values({
      id: product.id,
      name: fields.name,
      description: fields.description,
      priceMinor: fields.price.amountMinor,
      currency: fields.price.currency,
      active: fields.active,
      idempotencyKey: product.idempotencyKey,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoNothing({ target: products.idempotencyKey })
    .returning({ id: products.id });
  return inserted.length > 0;
}

export async function updateProductFields(db: Db, id: string, fields: ProductFields, now: Date): Promise<void> {
  await db
    .update(products)
    .set({
      name: fields.name,
      description: fields.description,
      priceMinor: fields.price.amountMinor,
      currency: fields.price.currency,
      active: fields.active,
      updatedAt: now,
    })
    .where(eq(products.id, id));
}

export interface PageQuery {
  /** Free text; empty matches everything. */
  query: string;
  includeInactive: boolean;
  after: PageCursor | undefined;
  /** Rows to fetch: the page size plus one, to know whether another page follows. */
  limit: number;
}

/** One page in the keyset order (create time desc, id desc), after the cursor if there is one. */
export async function listProducts(db: Db, page: PageQuery): Promise<Product[]> {
  const conditions: SQL[] = [];
  if (!page.includeInactive) conditions.push(eq(products.active, true));
  if (page.query !== "") {
    const pattern = containsPattern(page.query);
    conditions.push(or(ilike(products.name, pattern), ilike(products.description, pattern))!);
  }
  if (page.after) {
    conditions.push(
      sql`(${products.createdAt}, ${products.id}) < (${new Date(page.after.createdAtMs).toISOString()}::timestamptz, ${page.after.id})`,
    );
  }
  const rows = await selectProducts(db)
    .where(and(...conditions))
    .orderBy(desc(products.createdAt), desc(products.id))
    .limit(page.limit);
  return rows.map(toProduct);
}
