/**
 * What the inventory refuses, as values the RPC layer maps to gRPC statuses: the domain knows
 * reasons, not status codes.
 */
export type InventoryFailure =
  | { kind: "insufficient_stock"; productId: string; message: string }
  | {
      kind: "state";
      reason: "RESERVATION_COMMITTED" | "RESERVATION_NOT_ACTIVE" | "RESERVATION_NOT_COMMITTED";
      message: string;
    }
  | { kind: "not_found"; message: string }
  | { kind: "key_reused"; field: string; message: string };

/** Thrown inside a transaction to roll it back and carry the failure out. */
export class InventoryError extends Error {
  override readonly name = "InventoryError";
  constructor(readonly failure: InventoryFailure) {
    super(failure.message);
  }
}

export function insufficientStock(productId: string, available: bigint, wanted: bigint): InventoryError {
  return new InventoryError({
    kind: "insufficient_stock",
    productId,
    message: `product ${productId} has ${available} available, ${wanted} needed`,
  });
}
