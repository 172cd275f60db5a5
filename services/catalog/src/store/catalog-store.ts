import type { Database } from "@weft/mesh/data";
import { v7 as uuidv7 } from "uuid";
import type { PageCursor } from "../domain/page-token.ts";
import type { Product, ProductFields, ProductInput, UpdatableField } from "../domain/product.ts";
import { applyUpdate } from "../domain/update-mask.ts";
import { recordProductCreated, recordProductUpdated } from "../events/product-events.ts";
import {
  findProduct,
  findProductByKey,
  findProducts,
  insertProduct,
  listProducts,
  lockProduct,
  updateProductFields,
} from "./products.ts";
import type * as schema from "./schema.ts";

/**
 * The catalog's use cases, each one transaction that changes products and records its event in
 * the outbox together; `published` is told after a commit that recorded events.
 */
export class CatalogStore {
  constructor(
    private readonly db: Database<typeof schema>,
    private readonly published: () => void,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Creates a product, or returns the one a previous call with the same key created. */
  async create(fields: ProductFields, idempotencyKey: string): Promise<Product> {
    const result = await this.db.transaction(async (tx) => {
      const id = uuidv7();
      const now = this.clock();
      if (!(await insertProduct(tx, { id, fields, idempotencyKey: idempotencyKey || null, now }))) {
        return { product: await findProductByKey(tx, idempotencyKey), created: false };
      }
      const product = (await findProduct(tx, id))!;
      await recordProductCreated(tx, product);
      return { product, created: true };
    });
    if (!result.product) throw new Error("idempotency key conflict without a product"); // cannot happen: unique key
    if (result.created) this.published();
    return result.product;
  }

  /** Applies the masked fields; undefined if there is no such product. Unchanged: no write, no event. */
  async update(id: string, input: ProductInput, fields: readonly UpdatableField[]): Promise<Product | undefined> {
    const result = await this.db.transaction(async (tx) => {
      const current = await lockProduct(tx, id);
      if (!current) return undefined;
      const { next, changed } = applyUpdate(current, input, fields);
      if (changed.length === 0) return { product: await findProduct(tx, id), changed };
      await updateProductFields(tx, id, next, this.clock());
      const product = (await findProduct(tx, id))!;
      await recordProductUpdated(tx, product, changed);
      return { product, changed };
    });
    if (result && result.changed.length > 0) this.published();
    return result?.product;
  }

  get(id: string): Promise<Product | undefined> {
    return findProduct(this.db, id);
  }

  getMany(ids: readonly string[]): Promise<Map<string, Product>> {
    return findProducts(this.db, ids);
  }

  /** One page and whether more follow. */
  async page(options: { query: string; includeInactive: boolean; after: PageCursor | undefined; size: number }) {
    const rows = await listProducts(this.db, { ...options, limit: options.size + 1 });
    return { products: rows.slice(0, options.size), more: rows.length > options.size };
  }
}
