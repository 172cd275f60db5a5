// Pricing an order from catalog products: pure, so its rules are tested without a catalog.
import type { FieldViolation } from "@weft/mesh";

export interface RequestedItem {
  productId: string;
  quantity: number;
}

export interface PricedProduct {
  id: string;
  active: boolean;
  priceMinor: bigint;
  currency: string;
}

export interface PricedLine {
  productId: string;
  quantity: number;
  unitPriceMinor: bigint;
}

export type Pricing =
  | { kind: "priced"; lines: PricedLine[]; totalMinor: bigint; currency: string }
  /** The request names products that cannot be ordered: INVALID_ARGUMENT, as the proto says. */
  | { kind: "invalid"; violations: FieldViolation[] }
  /** Products priced in different currencies cannot share one order total. */
  | { kind: "mixed_currencies"; currencies: string[] };

/** The largest int64: totals are int64 on the wire and bigint in the database. */
const maxInt64 = (1n << 63n) - 1n;

/**
 * Snapshots each product's current price onto its line and sums the total. `products` answers
 * `items` one-to-one, in order (as BatchGetProducts does); a missing one counts as unknown.
 */
export function priceOrder(items: readonly RequestedItem[], products: readonly (PricedProduct | undefined)[]): Pricing {
  const violations: FieldViolation[] = [];
  const lines: PricedLine[] = [];
  items.forEach((item, index) => {
    const product = products[index];
    const field = `items[${index}].product_id`;
    if (product === undefined || product.id !== item.productId) {
      violations.push({ field, description: "names no product in the catalog" });
    } else if (!product.active) {
      violations.push({ field, description: "names a product that is not for sale" });
    } else if (product.priceMinor <= 0n) {
      violations.push({ field, description: "names a product without a price" });
    } else {
      lines.push({ productId: item.productId, quantity: item.quantity, unitPriceMinor: product.priceMinor });
    }
  });
  if (violations.length > 0) return { kind: "invalid", violations };
  const currencies = [...new Set(items.map((_, index) => products[index]!.currency))];
  if (currencies.length !== 1) return { kind: "mixed_currencies", currencies };
  const totalMinor = lines.reduce((sum, line) => sum + line.unitPriceMinor * BigInt(line.quantity), 0n);
  if (totalMinor > maxInt64) {
    return { kind: "invalid", violations: [{ field: "items", description: "the order's total is too large" }] };
  }
  return { kind: "priced", lines, totalMinor, currency: currencies[0]! };
}
