import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ProductSchema } from "@weft/gen/shop/catalog/v1/catalog_pb.js";
import type { Product, ProductInput } from "../domain/product.ts";

export function productMessage(product: Product): MessageInitShape<typeof ProductSchema> {
  return {
    id: product.id,
    name: product.name,
    description: product.description,
    price: { amountMinor: product.price.amountMinor, currency: product.price.currency },
    active: product.active,
    available: product.available,
    createTime: timestampFromDate(product.createdAt),
    updateTime: timestampFromDate(product.updatedAt),
  };
}

/** What a request's product says, output-only fields dropped. */
export function productInput(product: {
  name: string;
  description: string;
  price?: { amountMinor: bigint; currency: string } | undefined;
  active?: boolean | undefined;
}): ProductInput {
  return {
    name: product.name,
    description: product.description,
    price: product.price ? { amountMinor: product.price.amountMinor, currency: product.price.currency } : undefined,
    active: product.active,
  };
}
