import { cursorValue, type PageTokenFormat } from "@weft/mesh";

/**
 * ListProducts' keyset cursor: where the previous page ended in the (create time desc, id desc)
 * order, plus the filter it was made for, so a token cannot be replayed with another query.
 * Clients see it only as an opaque token the mesh signs (mesh.pageTokens).
 */
export interface PageCursor {
  /** create_time of the last product returned, in epoch ms. */
  readonly createdAtMs: number;
  readonly id: string;
  readonly query: string;
  readonly includeInactive: boolean;
}

/** Longer than any query ListProducts accepts, so every real cursor fits. */
const maxCursorQueryLength = 1000;

export const productPageTokens: PageTokenFormat<PageCursor> = {
  scope: "shop.catalog.v1.CatalogService/ListProducts",
  write: (cursor) => ({ t: cursor.createdAtMs, i: cursor.id, q: cursor.query, a: cursor.includeInactive ? 1 : 0 }),
  read(wire) {
    if (typeof wire !== "object" || wire === null) return undefined;
    const { t, i, q, a } = wire as Record<string, unknown>;
    const time = cursorValue.time(t);
    const id = cursorValue.id(i);
    const query = cursorValue.text(q, maxCursorQueryLength);
    const includeInactive = cursorValue.flag(a);
    if (time === undefined || id === undefined || query === undefined || includeInactive === undefined)
      return undefined;
    return { createdAtMs: time.getTime(), id, query, includeInactive };
  },
};
