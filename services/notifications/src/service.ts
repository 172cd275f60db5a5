import { fileURLToPath } from "node:url";
import { NotificationServiceBinding } from "@weft/gen/shop/notifications/v1/notifications_weft.js";
import { provide, type ServiceDefinition } from "@weft/mesh";
import { startConsumer } from "@weft/mesh/events";
import { accountEvents, orderEvents } from "./events/customer-events.ts";
import { recordNotification } from "./events/record-notification.ts";
import { notificationsHandlers } from "./rpc/handlers.ts";
import * as schema from "./store/schema.ts";

export interface NotificationsServiceOptions {
  /**
   * Appended to the durable consumer names (`notifications-orders`, `notifications-identity`).
   * Tests set it so their consumers do not share a durable, and so its deliveries, with other
   * runs on the same NATS server; deployments leave it empty.
   */
  durableSuffix?: string;
}

/** The notifications service: a notification per customer-facing event, and each user's feed. */
export function notificationsService(options: NotificationsServiceOptions = {}): ServiceDefinition<typeof schema> {
  return {
    name: "notifications",
    schema,
    migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
    async setup({ mesh, db, bus }) {
      const suffix = options.durableSuffix ?? "";
      const consume = (name: string, events: typeof orderEvents | typeof accountEvents) =>
        startConsumer({ bus, db, name: `${name}${suffix}`, events, handle: recordNotification, logger: mesh.logger });
      const consumers = [
        await consume("notifications-orders", orderEvents),
        await consume("notifications-identity", accountEvents),
      ];
      return {
        services: [provide(NotificationServiceBinding, notificationsHandlers({ db, pageTokens: mesh.pageTokens }))],
        consumers,
      };
    },
  };
}
