// Prices requested items with the catalog (BatchGetProducts) and turns its answers into the
// orders API's errors: unknown or inactive products are the caller's mistake (INVALID_ARGUMENT,
// as the orders proto says); a catalog in trouble is UNAVAILABLE, never INTERNAL.
import type { CatalogServiceClient } from "@weft/gen/shop/catalog/v1/catalog_weft.js";
import { Code, errorWithReason, type FieldViolation, invalidArgument, RpcError } from "@weft/mesh";
import { type PricedLine, type PricedProduct, priceOrder, type RequestedItem } from "../domain/pricing.ts";

export interface PricedOrder {
  lines: PricedLine[];
  totalMinor: bigint;
  currency: string;
}

export async function priceWithCatalog(
  catalog: CatalogServiceClient,
  items: readonly RequestedItem[],
): Promise<PricedOrder> {
  let products: (PricedProduct | undefined)[];
  try {
    const response = await catalog.batchGetProducts({ ids: items.map((item) => item.productId) });
    products = items.map((_, index) => {
      const product = response.products[index];
      if (product === undefined) return undefined;
      return {
        id: product.id,
        // Unset means active (the catalog's default).
        active: product.active ?? true,
        priceMinor: product.price?.amountMinor ?? 0n,
        currency: product.price?.currency ?? "",
      };
    });
  } catch (error) {
    throw catalogFailure(error, items);
  }
  const pricing = priceOrder(items, products);
  switch (pricing.kind) {
    case "invalid":
      throw invalidArgument(pricing.violations, "the order cannot be priced");
    case "mixed_currencies":
      throw errorWithReason(
        Code.FAILED_PRECONDITION,
        "MIXED_CURRENCIES",
        `the products are priced in different currencies (${pricing.currencies.join(", ")}); order them separately`,
      );
    case "priced":
      return pricing;
  }
}

function catalogFailure(error: unknown, items: readonly RequestedItem[]): RpcError {
  if (error instanceof RpcError && (error.code === Code.NOT_FOUND || error.code === Code.INVALID_ARGUMENT)) {
    // Point at the unknown product when the catalog names it (in ErrorInfo metadata or its message).
    const named = items
      .map((item, index) => ({ item, index }))
      .filter(
        ({ item }) => error.message.includes(item.productId) || JSON.stringify(error.details).includes(item.productId),
      );
    const violations: FieldViolation[] =
      named.length > 0 && named.length < items.length
        ? named.map(({ index }) => ({
            field: `items[${index}].product_id`,
            description: "names no product in the catalog",
          }))
        : [{ field: "items", description: "name a product that is not in the catalog" }];
    return invalidArgument(violations, "the order cannot be priced");
  }
  return new RpcError(Code.UNAVAILABLE, "cannot price the order now: the catalog is unavailable", { cause: error });
}
