/** A product's stock as the domain sees it. */
export interface Stock {
  readonly productId: string;
  readonly onHand: bigint;
  readonly reserved: bigint;
  /** 0 for a product never stocked; +1 on every change. */
  readonly version: bigint;
  readonly updatedAt: Date | undefined;
}

/** The stock of a product that has never been stocked: all zeros. */
export function emptyStock(productId: string): Stock {
  return { productId, onHand: 0n, reserved: 0n, version: 0n, updatedAt: undefined };
}

/** Units that can still be reserved. */
export function availableOf(stock: Pick<Stock, "onHand" | "reserved">): bigint {
  return stock.onHand - stock.reserved;
}

/** Whether removing `delta` (< 0) from on_hand keeps available non-negative. */
export function canAdjust(stock: Pick<Stock, "onHand" | "reserved">, delta: bigint): boolean {
  return availableOf(stock) + delta >= 0n;
}

/** Whether `quantity` more units can be held without available going below zero. */
export function canReserve(stock: Pick<Stock, "onHand" | "reserved">, quantity: bigint): boolean {
  return quantity > 0n && availableOf(stock) >= quantity;
}
