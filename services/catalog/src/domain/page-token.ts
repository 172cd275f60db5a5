/**
 * ListProducts' keyset cursor: where the previous page ended in the (create time desc, id desc)
 * order, plus the filter it was made for, so a token cannot be replayed with another query.
 * Clients see it only as opaque base64url.
 */
export interface PageCursor {
  /** create_time of the last product returned, in epoch ms. */
  readonly createdAtMs: number;
  readonly id: string;
  readonly query: string;
  readonly includeInactive: boolean;
}

export function encodePageToken(cursor: PageCursor): string {
  const wire = { t: cursor.createdAtMs, i: cursor.id, q: cursor.query, a: cursor.includeInactive ? 1 : 0 };
  return Buffer.from(JSON.stringify(wire), "utf8").toString("base64url");
}

/** The cursor in a token, or undefined if the token is not one this service made. */
export function decodePageToken(token: string): PageCursor | undefined {
  if (token.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  let wire: unknown;
  try {
    wire = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof wire !== "object" || wire === null) return undefined;
  const { t, i, q, a } = wire as Record<string, unknown>;
  if (typeof t !== "number" || !Number.isSafeInteger(t) || t < 0) return undefined;
  if (typeof i !== "string" || i === "" || i.length > 64) return undefined;
  if (typeof q !== "string" || (a !== 0 && a !== 1)) return undefined;
  return { createdAtMs: t, id: i, query: q, includeInactive: a === 1 };
}
