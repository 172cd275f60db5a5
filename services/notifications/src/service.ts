import { fileURLToPath } from "node:url";
import { file_shop_notifications_v1_events } from "@weft/gen/shop/notifications/v1/events_pb.js";
import { NotificationServiceBinding } from "@weft/gen/shop/notifications/v1/notifications_weft.js";
import { type Mesh, provide, type ServiceDefinition, type TokenVerifier } from "@weft/mesh";
import { ensureStream, eventStreamOf, startConsumer } from "@weft/mesh/events";
import { identityTokenVerifier } from "./auth/identity-verifier.ts";
import { accountEvents, orderEvents } from "./events/customer-events.ts";
import { recordNotification } from "./events/record-notification.ts";
import { notificationsHandlers } from "./rpc/handlers.ts";
import { type NotificationsSettings, notificationsSettings } from "./settings.ts";
import * as schema from "./store/schema.ts";

export interface NotificationsServiceOptions {
  /** How callers' tokens are verified; by default against identity's JWKS over the mesh. */
  verifier?: (mesh: Mesh, settings: NotificationsSettings) => TokenVerifier;
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
    async setup({ mesh, db, bus, env }) {
      const settings = notificationsSettings(env);
      const verifier = (options.verifier ?? identityTokenVerifier)(mesh, settings);
      // The producer declares its own stream, so NotificationCreated publishes before anyone consumes it.
      const stream = eventStreamOf(file_shop_notifications_v1_events.proto.package);
      await ensureStream(bus.jsm, stream.name, stream.subjects);
      const suffix = options.durableSuffix ?? "";
      const consume = (name: string, events: typeof orderEvents | typeof accountEvents) =>
        startConsumer({ bus, db, name: `${name}${suffix}`, events, handle: recordNotification, logger: mesh.logger });
      const consumers = [
        await consume("notifications-orders", orderEvents),
        await consume("notifications-identity", accountEvents),
      ];
      return {
        services: [
          provide(NotificationServiceBinding, notificationsHandlers({ db, verifier, pageTokens: mesh.pageTokens })),
        ],
        consumers,
      };
    },
  };
}
