import type { NotificationServiceHandlers } from "@weft/gen/shop/notifications/v1/notifications_weft.js";
import { requireUser, Violations } from "@weft/mesh";
import type { Database } from "@weft/mesh/data";
import { type Cursor, decodePageToken, encodePageToken, pageSizeOf } from "../domain/page.ts";
import { notificationsOf } from "../store/notifications.ts";
import type * as schema from "../store/schema.ts";
import { notificationToProto } from "./to-proto.ts";

export interface NotificationsDependencies {
  db: Database<typeof schema>;
}

export function notificationsHandlers({ db }: NotificationsDependencies): NotificationServiceHandlers {
  return {
    async listNotifications(request, context) {
      // Whose feed it is comes only from the verified token, never from the request.
      const user = await requireUser(context);
      const violations = new Violations();
      const pageSize = pageSizeOf(request.pageSize);
      if (pageSize === undefined) violations.add("page_size", "must not be negative");
      let after: Cursor | undefined;
      if (request.pageToken !== "") {
        after = decodePageToken(request.pageToken);
        if (after === undefined) violations.add("page_token", "is not a page token from a previous call");
      }
      violations.throwIfAny();
      const rows = await notificationsOf(db, user.id, after, pageSize! + 1);
      const page = rows.slice(0, pageSize);
      const last = page.at(-1);
      return {
        notifications: page.map(notificationToProto),
        nextPageToken: rows.length > page.length && last ? encodePageToken(last) : "",
      };
    },
  };
}
