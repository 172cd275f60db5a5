import { cursorValue, type PageTokenFormat } from "@weft/mesh";

/**
 * Paging through a user's notifications, newest first. The cursor is the position of the last
 * notification returned (its time and id, which break ties); the page token is that cursor,
 * signed by the mesh and opaque to clients.
 */
export interface Cursor {
  createdAt: Date;
  id: string;
}

export const defaultPageSize = 50;
export const maxPageSize = 200;

/** 0 means the default; above the maximum is clamped; negative is the caller's mistake (undefined). */
export function pageSizeOf(requested: number): number | undefined {
  if (!Number.isInteger(requested) || requested < 0) return undefined;
  return requested === 0 ? defaultPageSize : Math.min(requested, maxPageSize);
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The cursor as a page token the mesh signs (mesh.pageTokens); its values range-checked on the way back. */
export const notificationPageTokens: PageTokenFormat<Cursor> = {
  scope: "shop.notifications.v1.NotificationService/ListNotifications",
  write: (cursor) => ({ t: cursor.createdAt.getTime(), id: cursor.id }),
  read(wire) {
    if (typeof wire !== "object" || wire === null) return undefined;
    const { t, id } = wire as Record<string, unknown>;
    const createdAt = cursorValue.time(t);
    if (createdAt === undefined || typeof id !== "string" || !uuidPattern.test(id)) return undefined;
    return { createdAt, id };
  },
};
