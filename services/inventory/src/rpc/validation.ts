import { durationMs } from "@bufbuild/protobuf/wkt";
import type { AdjustStockRequest, ReserveRequest } from "@weft/gen/shop/inventory/v1/inventory_pb.js";
import { Violations } from "@weft/mesh";
import { limits } from "../domain/limits.ts";

/** The checks every request shares: an id field, an idempotency key, a free-text reason. */
export function checkKey(v: Violations, field: string, value: string, required: boolean): void {
  v.text(field, value, { required, maxLength: limits.maxKeyLength });
}

export function checkReason(v: Violations, field: string, value: string): void {
  v.text(field, value, { required: false, maxLength: limits.maxReasonLength });
}

export function validateAdjust(request: AdjustStockRequest): void {
  const v = new Violations();
  v.id("product_id", request.productId);
  if (request.delta === 0n) v.add("delta", "must not be zero");
  else v.number("delta", request.delta, { min: -limits.maxAdjustDelta, max: limits.maxAdjustDelta });
  checkReason(v, "reason", request.reason);
  checkKey(v, "idempotency_key", request.idempotencyKey, false);
  v.throwIfAny();
}

/** Validates Reserve and returns the requested ttl in ms (undefined: the server default). */
export function validateReserve(request: ReserveRequest): number | undefined {
  const v = new Violations();
  v.id("order_id", request.orderId);
  checkKey(v, "idempotency_key", request.idempotencyKey, true);
  if (request.lines.length === 0) v.add("lines", "must have at least one line");
  if (request.lines.length > limits.maxLines) v.add("lines", `must have at most ${limits.maxLines} lines`);
  const seen = new Set<string>();
  request.lines.slice(0, limits.maxLines).forEach((line, i) => {
    if (v.id(`lines[${i}].product_id`, line.productId)) {
      if (seen.has(line.productId)) v.add(`lines[${i}].product_id`, "must not repeat an earlier line's product");
      seen.add(line.productId);
    }
    v.number(`lines[${i}].quantity`, line.quantity, { min: 1, max: limits.maxLineQuantity });
  });
  let ttlMs: number | undefined;
  if (request.ttl !== undefined) {
    ttlMs = durationMs(request.ttl);
    if (!(ttlMs > 0)) v.add("ttl", "must be positive");
  }
  v.throwIfAny();
  return ttlMs;
}
