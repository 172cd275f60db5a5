import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Notification,
  NotificationKind,
  NotificationSchema,
} from "@weft/gen/shop/notifications/v1/notifications_pb.js";
import type { NotificationKindName } from "../domain/notification.ts";
import type { NotificationRow } from "../store/notifications.ts";

const kinds: Record<NotificationKindName, NotificationKind> = {
  WELCOME: NotificationKind.WELCOME,
  ORDER_PLACED: NotificationKind.ORDER_PLACED,
  ORDER_CONFIRMED: NotificationKind.ORDER_CONFIRMED,
  ORDER_REJECTED: NotificationKind.ORDER_REJECTED,
  ORDER_CANCELLED: NotificationKind.ORDER_CANCELLED,
};

export function notificationToProto(row: NotificationRow): Notification {
  return create(NotificationSchema, {
    id: row.id,
    userId: row.userId,
    orderId: row.orderId ?? "",
    kind: kinds[row.kind],
    title: row.title,
    body: row.body,
    createTime: timestampFromDate(row.createdAt),
  });
}
