import { cursorValue, type PageTokenFormat } from "@weft/mesh";

// ListOrders' page tokens: a small versioned cursor the mesh signs (mesh.pageTokens). Clients
// must treat them as opaque; the server refuses anything it did not make with INVALID_ARGUMENT.

/** The id of the last order on the previous page (ids are UUIDv7: newest first = id desc). */
export type OrdersCursor = string;

export const orderPageTokens: PageTokenFormat<OrdersCursor> = {
  scope: "shop.orders.v1.OrderService/ListOrders",
  write: (after) => ({ v: 1, after }),
  read(wire) {
    if (typeof wire !== "object" || wire === null) return undefined;
    const { v, after } = wire as Record<string, unknown>;
    return v === 1 ? cursorValue.id(after) : undefined;
  },
};

/** 0 means 50; above 200 is clamped to 200. Negative is the caller's to validate. */
export function pageSizeOf(requested: number): number {
  if (requested === 0) return 50;
  return Math.min(requested, 200);
}
