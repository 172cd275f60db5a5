// Maps order changes to the domain events of shop.orders.v1 and records them in the outbox,
// inside the transaction that makes the change (so an event exists if and only if the change does).
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderPlacedSchema,
  OrderRejectedSchema,
} from "@weft/gen/shop/orders/v1/events_pb.js";
import { type OrderSchema, OrderStatus } from "@weft/gen/shop/orders/v1/orders_pb.js";
import type { Transaction } from "@weft/mesh/data";
import { recordEvent } from "@weft/mesh/events";
import type { OrderStatusName } from "../domain/saga.ts";
import type { OrderRecord, Schema } from "../store/orders.ts";

export type OrderEvent = "placed" | "confirmed" | "rejected" | "cancelled";

const statusNumbers: Record<OrderStatusName, OrderStatus> = {
  PENDING: OrderStatus.PENDING,
  CONFIRMED: OrderStatus.CONFIRMED,
  REJECTED: OrderStatus.REJECTED,
  CANCELLED: OrderStatus.CANCELLED,
};

/** The order as the API shows it. */
export function orderMessage(order: OrderRecord): MessageInitShape<typeof OrderSchema> {
  return {
    id: order.id,
    userId: order.userId,
    lines: linesOf(order),
    total: { amountMinor: order.totalMinor, currency: order.currency },
    status: statusNumbers[order.status],
    statusReason: order.statusReason,
    paymentId: order.paymentId,
    createTime: timestampFromDate(order.createdAt),
    updateTime: timestampFromDate(order.updatedAt),
  };
}

function linesOf(order: OrderRecord) {
  return order.lines.map((line) => ({
    productId: line.productId,
    quantity: line.quantity,
    unitPrice: { amountMinor: line.unitPriceMinor, currency: order.currency },
  }));
}

export async function recordOrderEvent(
  tx: Transaction<Schema>,
  event: OrderEvent,
  order: OrderRecord,
  details: { refunded?: boolean } = {},
): Promise<void> {
  const base = {
    orderId: order.id,
    userId: order.userId,
    total: { amountMinor: order.totalMinor, currency: order.currency },
  };
  const subject = order.id;
  switch (event) {
    case "placed":
      await recordEvent(tx, { schema: OrderPlacedSchema, subject, message: { ...base, lines: linesOf(order) } });
      return;
    case "confirmed":
      await recordEvent(tx, {
        schema: OrderConfirmedSchema,
        subject,
        message: { ...base, paymentId: order.paymentId },
      });
      return;
    case "rejected":
      await recordEvent(tx, { schema: OrderRejectedSchema, subject, message: { ...base, reason: order.statusReason } });
      return;
    case "cancelled":
      await recordEvent(tx, {
        schema: OrderCancelledSchema,
        subject,
        message: { ...base, reason: order.statusReason, refunded: details.refunded ?? false },
      });
      return;
  }
}
