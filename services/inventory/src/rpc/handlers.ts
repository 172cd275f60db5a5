import type { InventoryServiceHandlers } from "@weft/gen/shop/inventory/v1/inventory_weft.js";
import { requireRole, requireUser, Violations, validate } from "@weft/mesh";
import { holdDurationMs } from "../domain/limits.ts";
import type { InventoryStore } from "../store/inventory-store.ts";
import { mapped } from "./errors.ts";
import { reservationMessage, stockLevelMessage } from "./messages.ts";
import { checkKey, checkReason, validateAdjust, validateReserve } from "./validation.ts";

export interface HandlerDeps {
  store: InventoryStore;
  /** Hold time of a reservation that names no ttl. */
  defaultTtlMs: number;
}

/**
 * The InventoryService RPCs: validate, authorize, run the use case, map domain refusals. Who may
 * call which RPC at all is the mesh policy's job (istio/authz/inventory.yaml).
 */
export function inventoryHandlers({ store, defaultTtlMs }: HandlerDeps): InventoryServiceHandlers {
  return {
    async getStock(request) {
      validate((v) => v.id("product_id", request.productId));
      return { stock: stockLevelMessage(await store.getStock(request.productId)) };
    },

    async adjustStock(request, context) {
      // Authenticate before validating, so an anonymous caller learns nothing about the API.
      requireRole(await requireUser(context), "admin");
      validateAdjust(request);
      const stock = await mapped(() =>
        store.adjust({
          productId: request.productId,
          delta: request.delta,
          reason: request.reason,
          idempotencyKey: request.idempotencyKey,
        }),
      );
      return { stock: stockLevelMessage(stock) };
    },

    async reserve(request) {
      const ttlMs = validateReserve(request);
      const reservation = await mapped(() =>
        store.reserve({
          orderId: request.orderId,
          lines: request.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
          holdMs: holdDurationMs(ttlMs, defaultTtlMs),
          idempotencyKey: request.idempotencyKey,
        }),
      );
      return { reservation: reservationMessage(reservation) };
    },

    async release(request) {
      validateTransition(request);
      const reservation = await mapped(() => store.transition(request.reservationId, "release", request.reason));
      return { reservation: reservationMessage(reservation) };
    },

    async commit(request) {
      validateTransition(request);
      const reservation = await mapped(() => store.transition(request.reservationId, "commit"));
      return { reservation: reservationMessage(reservation) };
    },

    async restock(request) {
      validateTransition(request);
      const reservation = await mapped(() => store.transition(request.reservationId, "restock", request.reason));
      return { reservation: reservationMessage(reservation) };
    },

    async getReservation(request) {
      validate((v) => v.id("id", request.id));
      return { reservation: reservationMessage(await mapped(() => store.getReservation(request.id))) };
    },
  };
}

/** Release, Commit and Restock name a reservation and may carry a key and a reason. */
function validateTransition(request: { reservationId: string; idempotencyKey: string; reason?: string }): void {
  const v = new Violations();
  v.id("reservation_id", request.reservationId);
  checkKey(v, "idempotency_key", request.idempotencyKey, false);
  if (request.reason !== undefined) checkReason(v, "reason", request.reason);
  v.throwIfAny();
}
