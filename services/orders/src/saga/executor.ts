// Carries out one saga command against inventory or payments, and reports its result in the
// saga's terms. Every call carries the step's deterministic idempotency key and a deadline.

import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { ReservationState } from "@weft/gen/shop/inventory/v1/inventory_pb.js";
import type { InventoryServiceClient } from "@weft/gen/shop/inventory/v1/inventory_weft.js";
import { PaymentStatus } from "@weft/gen/shop/payments/v1/payments_pb.js";
import type { PaymentServiceClient } from "@weft/gen/shop/payments/v1/payments_weft.js";
import type { SagaCommand, StepResult } from "../domain/saga.ts";
import type { OrderRecord } from "../store/orders.ts";
import { classifyFailure } from "./upstream-errors.ts";

export interface ExecutorOptions {
  inventory: InventoryServiceClient;
  payments: PaymentServiceClient;
  /** Deadline of each call. */
  callTimeoutMs: number;
  /** How long inventory holds the stock before the reservation expires on its own. */
  reservationTtlMs: number;
}

export class SagaExecutor {
  constructor(private readonly options: ExecutorOptions) {}

  async execute(
    command: SagaCommand,
    order: OrderRecord,
    paymentMethod: string,
    signal: AbortSignal,
  ): Promise<StepResult> {
    const call = { timeoutMs: this.options.callTimeoutMs, signal };
    const { inventory, payments } = this.options;
    try {
      switch (command.kind) {
        case "reserve": {
          const { reservation } = await inventory.reserve(
            {
              orderId: order.id,
              lines: order.lines.map((line) => ({ productId: line.productId, quantity: line.quantity })),
              ttl: durationFromMs(this.options.reservationTtlMs),
              idempotencyKey: command.idempotencyKey,
            },
            call,
          );
          if (reservation === undefined) return malformed("Reserve");
          return {
            kind: "ok",
            reservationId: reservation.id,
            reservationActive:
              reservation.state === ReservationState.ACTIVE || reservation.state === ReservationState.COMMITTED,
          };
        }
        case "charge": {
          if (paymentMethod === "") {
            return {
              kind: "refused",
              reason: "PAYMENT_METHOD_MISSING",
              message: "no payment method kept for the order",
            };
          }
          const { payment } = await payments.charge(
            {
              orderId: order.id,
              amount: { amountMinor: order.totalMinor, currency: order.currency },
              paymentMethod,
              idempotencyKey: command.idempotencyKey,
            },
            call,
          );
          if (payment === undefined) return malformed("Charge");
          // A replayed decline comes back as the FAILED payment rather than as an error.
          if (payment.status === PaymentStatus.FAILED) {
            return { kind: "refused", reason: payment.failureReason || "CARD_DECLINED", message: "payment failed" };
          }
          return { kind: "ok", paymentId: payment.id };
        }
        case "commit":
          await inventory.commit(
            { reservationId: command.reservationId, idempotencyKey: command.idempotencyKey },
            call,
          );
          return { kind: "ok" };
        case "release":
          await inventory.release(
            { reservationId: command.reservationId, idempotencyKey: command.idempotencyKey, reason: command.reason },
            call,
          );
          return { kind: "ok" };
        case "restock":
          await inventory.restock(
            { reservationId: command.reservationId, idempotencyKey: command.idempotencyKey, reason: command.reason },
            call,
          );
          return { kind: "ok" };
        case "refund":
          await payments.refund(
            { paymentId: command.paymentId, idempotencyKey: command.idempotencyKey, reason: command.reason },
            call,
          );
          return { kind: "ok" };
      }
    } catch (error) {
      return classifyFailure(error);
    }
  }
}

function malformed(method: string): StepResult {
  return { kind: "transient", reason: "NO_BODY", message: `${method} answered without a body`, ambiguous: true };
}
