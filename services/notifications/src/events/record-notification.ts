import { NotificationCreatedSchema } from "@weft/gen/shop/notifications/v1/events_pb.js";
import type { Transaction } from "@weft/mesh/data";
import { type ReceivedEvent, recordEvent } from "@weft/mesh/events";
import { eventProblem, notificationFor } from "../domain/notification.ts";
import { notificationToProto } from "../rpc/to-proto.ts";
import { insertNotificationIfAbsent } from "../store/notifications.ts";
import type * as schema from "../store/schema.ts";
import { customerEventOf } from "./customer-events.ts";

/**
 * A consumer's handler: stores the notification an event calls for, in the consumer's
 * transaction (with the inbox row), and announces it with NotificationCreated. An event whose
 * notification already exists changes nothing and announces nothing.
 */
export async function recordNotification(tx: Transaction<typeof schema>, event: ReceivedEvent): Promise<void> {
  const facts = customerEventOf(event.message);
  if (facts === undefined) return;
  const problem = eventProblem(facts);
  // Thrown, so the consumer retries and then parks it in dead letters for a human to look at.
  if (problem !== undefined) throw new Error(`${event.type} ${event.id} ${problem}`);
  const row = await insertNotificationIfAbsent(tx, notificationFor(facts), event.id);
  if (row === undefined) return;
  await recordEvent(tx, {
    schema: NotificationCreatedSchema,
    message: { notification: notificationToProto(row) },
    subject: row.id,
  });
}
