// Opaque page tokens for ListOrders: base64url of a small versioned cursor. Clients must treat
// them as opaque; the server refuses anything it did not make with INVALID_ARGUMENT.

interface Cursor {
  v: 1;
  /** The id of the last order on the previous page (ids are UUIDv7: newest first = id desc). */
  after: string;
}

export function encodePageToken(after: string): string {
  const cursor: Cursor = { v: 1, after };
  return Buffer.from(JSON.stringify(cursor)).toString("base64url");
}

/** The id to continue after, or undefined for a malformed token. */
export function decodePageToken(token: string): string | undefined {
  if (token.length > 512 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  try {
    const cursor: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (typeof cursor !== "object" || cursor === null) return undefined;
    const { v, after } = cursor as Record<string, unknown>;
    if (v !== 1 || typeof after !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(after)) return undefined;
    return after;
  } catch {
    return undefined;
  }
}

/** 0 means 50; above 200 is clamped to 200. Negative is the caller's to validate. */
export function pageSizeOf(requested: number): number {
  if (requested === 0) return 50;
  return Math.min(requested, 200);
}
