import { type Amount, formatAmount } from "./money.ts";

/** What a notification is about, as stored (the NotificationKind enum without its prefix). */
export type NotificationKindName =
  | "WELCOME"
  | "ORDER_PLACED"
  | "ORDER_CONFIRMED"
  | "ORDER_REJECTED"
  | "ORDER_CANCELLED";

export const notificationKinds: readonly NotificationKindName[] = [
  "WELCOME",
  "ORDER_PLACED",
  "ORDER_CONFIRMED",
  "ORDER_REJECTED",
  "ORDER_CANCELLED",
];

/** The facts of a customer-facing event, whatever service and message carried them. */
export type CustomerEvent =
  | { kind: "signed-up"; userId: string; displayName: string }
  | { kind: "order-placed"; orderId: string; userId: string; total: Amount }
  | { kind: "order-confirmed"; orderId: string; userId: string; total: Amount }
  | { kind: "order-rejected"; orderId: string; userId: string; total: Amount; reason: string }
  | { kind: "order-cancelled"; orderId: string; userId: string; total: Amount; reason: string; refunded: boolean };

/** A notification before it is stored: who it is for, what about, and its text. */
export interface NotificationDraft {
  userId: string;
  /** Undefined for account notifications. */
  orderId: string | undefined;
  kind: NotificationKindName;
  title: string;
  body: string;
}

/** Why an order failed, in words for its customer; reasons are the orders service's stable codes. */
const rejectionWords: Record<string, string> = {
  INSUFFICIENT_STOCK: "some of the items are out of stock",
  CARD_DECLINED: "your card was declined",
  PRODUCT_UNAVAILABLE: "a product is no longer available",
  RESERVATION_EXPIRED: "it could not be completed in time",
};

/** The notification an event calls for. */
export function notificationFor(event: CustomerEvent): NotificationDraft {
  switch (event.kind) {
    case "signed-up":
      return {
        userId: event.userId,
        orderId: undefined,
        kind: "WELCOME",
        title: "Welcome to Weft",
        body: `Hi ${event.displayName || "there"}, your account is ready.`,
      };
    case "order-placed":
      return {
        ...about(event),
        kind: "ORDER_PLACED",
        title: "Order received",
        body: `We received your order ${event.orderId} for ${formatAmount(event.total)} and are processing it.`,
      };
    case "order-confirmed":
      return {
        ...about(event),
        kind: "ORDER_CONFIRMED",
        title: "Order confirmed",
        body: `Your order ${event.orderId} is confirmed. You were charged ${formatAmount(event.total)}.`,
      };
    case "order-rejected": {
      const why = rejectionWords[event.reason] ?? "it could not be completed";
      return {
        ...about(event),
        kind: "ORDER_REJECTED",
        title: "Order rejected",
        body: `We could not complete your order ${event.orderId}: ${why}. You were not charged.`,
      };
    }
    case "order-cancelled": {
      const money = event.refunded
        ? `Your payment of ${formatAmount(event.total)} is being refunded.`
        : "You were not charged.";
      const asked = event.reason === "CUSTOMER_REQUEST" ? " as you asked" : "";
      return {
        ...about(event),
        kind: "ORDER_CANCELLED",
        title: "Order cancelled",
        body: `Your order ${event.orderId} was cancelled${asked}. ${money}`,
      };
    }
  }
}

function about(event: { orderId: string; userId: string }): Pick<NotificationDraft, "userId" | "orderId"> {
  return { userId: event.userId, orderId: event.orderId };
}

/** The problem with an event that cannot become a notification, or undefined when it can. */
export function eventProblem(event: CustomerEvent): string | undefined {
  if (event.userId === "") return "has no user_id";
  if (event.kind !== "signed-up" && event.orderId === "") return "has no order_id";
  return undefined;
}
