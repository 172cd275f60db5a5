// Request validation for OrderService: every problem reported at once, in proto field names.
import type { ListOrdersRequest, PlaceOrderRequest } from "@weft/gen/shop/orders/v1/orders_pb.js";
import { type PageTokenCodec, Violations } from "@weft/mesh";
import type { OrdersCursor } from "../domain/page-token.ts";

export const limits = { maxItems: 50, maxQuantity: 1000, maxTokenLength: 256, maxKeyLength: 128, maxNoteLength: 500 };

/** Printable ASCII without spaces: what provider tokens and client keys look like. */
const printable = /^[\x21-\x7e]+$/;

export function validatePlaceOrder(request: PlaceOrderRequest): void {
  const v = new Violations();
  if (request.items.length === 0) v.add("items", "is required: at least one item");
  else if (request.items.length > limits.maxItems) v.add("items", `must have at most ${limits.maxItems} items`);
  else {
    const seen = new Set<string>();
    request.items.forEach((item, index) => {
      if (v.id(`items[${index}].product_id`, item.productId)) {
        if (seen.has(item.productId)) v.add(`items[${index}].product_id`, "appears more than once; use quantity");
        seen.add(item.productId);
      }
      v.number(`items[${index}].quantity`, item.quantity, { min: 1, max: limits.maxQuantity });
    });
  }
  v.text("payment_method", request.paymentMethod, {
    maxLength: limits.maxTokenLength,
    pattern: printable,
    patternDescription: "a payment method token",
  });
  v.text("idempotency_key", request.idempotencyKey, {
    required: false,
    maxLength: limits.maxKeyLength,
    pattern: printable,
    patternDescription: "printable characters without spaces",
  });
  v.throwIfAny();
}

export function validateOrderId(id: string): void {
  const v = new Violations();
  v.id("id", id);
  v.throwIfAny();
}

export function validateCancel(id: string, reason: string): void {
  const v = new Violations();
  v.id("id", id);
  v.text("reason", reason, { required: false, maxLength: limits.maxNoteLength });
  v.throwIfAny();
}

/** The page's starting point (undefined: the first page), or INVALID_ARGUMENT. */
export function validateListOrders(
  request: ListOrdersRequest,
  pages: PageTokenCodec<OrdersCursor>,
): OrdersCursor | undefined {
  const v = new Violations();
  v.number("page_size", request.pageSize, { min: 0 });
  const after = pages.decode(request.pageToken, v);
  v.throwIfAny();
  return after;
}
