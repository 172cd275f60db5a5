import type { NotificationServiceHandlers } from "@weft/gen/shop/notifications/v1/notifications_weft.js";
import { type PageTokens, requireUser, Violations } from "@weft/mesh";
import type { Database } from "@weft/mesh/data";
import { notificationPageTokens, pageSizeOf } from "../domain/page.ts";
import { notificationsOf } from "../store/notifications.ts";
import type * as schema from "../store/schema.ts";
import { notificationToProto } from "./to-proto.ts";

export interface NotificationsDependencies {
  db: Database<typeof schema>;
  /** Signs ListNotifications' page tokens (the mesh's, keyed by MESH_PAGE_TOKEN_KEY). */
  pageTokens: PageTokens;
}

export function notificationsHandlers({ db, pageTokens }: NotificationsDependencies): NotificationServiceHandlers {
  const pages = pageTokens.codec(notificationPageTokens);
  return {
    async listNotifications(request, context) {
      // Whose feed it is comes only from the verified token, never from the request.
      const user = await requireUser(context);
      const violations = new Violations();
      const pageSize = pageSizeOf(request.pageSize);
      if (pageSize === undefined) violations.add("page_size", "must not be negative");
      const after = pages.decode(request.pageToken, violations);
      violations.throwIfAny();
      const rows = await notificationsOf(db, user.id, after, pageSize! + 1);
      const page = rows.slice(0, pageSize);
      const last = page.at(-1);
      return {
        notifications: page.map(notificationToProto),
        nextPageToken: rows.length > page.length && last ? pages.encode(last) : "",
      };
    },
  };
}
