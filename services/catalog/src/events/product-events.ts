import { ProductCreatedSchema, ProductUpdatedSchema } from "@weft/gen/shop/catalog/v1/events_pb.js";
import type { Transaction } from "@weft/mesh/data";
import { recordEvent } from "@weft/mesh/events";
import type { Product, UpdatableField } from "../domain/product.ts";
import { productMessage } from "../rpc/messages.ts";
import type * as schema from "../store/schema.ts";

export async function recordProductCreated(tx: Transaction<typeof schema>, product: Product): Promise<void> {
  await recordEvent(tx, {
    schema: ProductCreatedSchema,
    message: { product: productMessage(product) },
    subject: product.id,
  });
}

/** ProductUpdated with the fields that actually changed (never for availability). */
export async function recordProductUpdated(
  tx: Transaction<typeof schema>,
  product: Product,
  changed: readonly UpdatableField[],
): Promise<void> {
  await recordEvent(tx, {
    schema: ProductUpdatedSchema,
    message: { product: productMessage(product), updateMask: { paths: [...changed] } },
    subject: product.id,
  });
}
