import { isMessage, type Message } from "@bufbuild/protobuf";
import { UserSignedUpSchema } from "@weft/gen/shop/identity/v1/events_pb.js";
import {
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderPlacedSchema,
  OrderRejectedSchema,
} from "@weft/gen/shop/orders/v1/events_pb.js";
import type { Amount } from "../domain/money.ts";
import type { CustomerEvent } from "../domain/notification.ts";

/** The order events this service turns into notifications (one consumer: one package). */
export const orderEvents = [
  OrderPlacedSchema,
  OrderConfirmedSchema,
  OrderRejectedSchema,
  OrderCancelledSchema,
] as const;
/** The account events this service turns into notifications. */
export const accountEvents = [UserSignedUpSchema] as const;

/** The facts of a consumed event, or undefined for a message type this service ignores. */
export function customerEventOf(message: Message): CustomerEvent | undefined {
  const amount = (money: { amountMinor: bigint; currency: string } | undefined): Amount => ({
    amountMinor: money?.amountMinor ?? 0n,
    currency: money?.currency ?? "",
  });
  if (isMessage(message, OrderPlacedSchema)) {
    return { kind: "order-placed", orderId: message.orderId, userId: message.userId, total: amount(message.total) };
  }
  if (isMessage(message, OrderConfirmedSchema)) {
    return { kind: "order-confirmed", orderId: message.orderId, userId: message.userId, total: amount(message.total) };
  }
  if (isMessage(message, OrderRejectedSchema)) {
    return {
      kind: "order-rejected",
      orderId: message.orderId,
      userId: message.userId,
      total: amount(message.total),
      reason: message.reason,
    };
  }
  if (isMessage(message, OrderCancelledSchema)) {
    return {
      kind: "order-cancelled",
      orderId: message.orderId,
      userId: message.userId,
      total: amount(message.total),
      reason: message.reason,
      refunded: message.refunded,
    };
  }
  if (isMessage(message, UserSignedUpSchema)) {
    return { kind: "signed-up", userId: message.user?.id ?? "", displayName: message.user?.displayName ?? "" };
  }
  return undefined;
}
