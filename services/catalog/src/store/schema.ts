// Catalog's database: products and the availability replica fed by inventory events. The mesh
// adds its outbox (product events) and inbox (inventory events already applied) itself.
import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const products = pgTable(
  "products",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description").notNull(),
    /** Price in the currency's minor units (cents). */
    priceMinor: bigint("price_minor", { mode: "bigint" }).notNull(),
    currency: text("currency").notNull(),
    active: boolean("active").notNull(),
    /** CreateProduct's key: a repeated key finds this product instead of creating another. */
    idempotencyKey: text("idempotency_key").unique("products_idempotency_key_unique"),
    /** Millisecond precision, set by the service: page tokens carry it exactly. */
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [
    check("products_price_positive", sql`${t.priceMinor} > 0`),
    check("products_currency_iso", sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check("products_name_length", sql`char_length(${t.name}) between 1 and 200`),
    check("products_description_length", sql`char_length(${t.description}) <= 5000`),
    // ListProducts' keyset order: newest first, id breaking ties.
    index("products_newest_idx").on(t.createdAt.desc(), t.id.desc()),
  ],
);

/**
 * The read side of inventory: each product's latest known availability and the stock version
 * it came with. No foreign key to products: it is a replica of another service's data, and an
 * event may name a product this catalog has not seen.
 */
export const availability = pgTable(
  "availability",
  {
    productId: text("product_id").primaryKey(),
    available: bigint("available", { mode: "bigint" }).notNull(),
    version: bigint("version", { mode: "bigint" }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
  },
  (t) => [check("availability_non_negative", sql`${t.available} >= 0`)],
);
