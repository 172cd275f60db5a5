/**
 * Paging through a user's notifications, newest first. The cursor is the position of the last
 * notification returned (its time and id, which break ties); the page token is that cursor as
 * base64url JSON, opaque to clients.
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

export function encodePageToken(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.createdAt.getTime(), id: cursor.id })).toString("base64url");
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The cursor in a page token, or undefined when the token is not one this service issued. */
export function decodePageToken(token: string): Cursor | undefined {
  if (token.length > 200 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { t, id } = parsed as { t?: unknown; id?: unknown };
  if (typeof t !== "number" || !Number.isSafeInteger(t) || t < 0 || typeof id !== "string" || !uuidPattern.test(id)) {
    return undefined;
  }
  return { createdAt: new Date(t), id };
}
