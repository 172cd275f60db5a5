import type { Queryable } from "@weft/mesh/data";
import { and, desc, eq, lt, or } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { NotificationDraft } from "../domain/notification.ts";
import type { Cursor } from "../domain/page.ts";
import * as schema from "./schema.ts";

export type NotificationRow = typeof schema.notifications.$inferSelect;
type Db = Queryable<typeof schema>;

/** Stores the notification unless one for the same order and kind (or user welcome) exists; returns it if new. */
export async function insertNotificationIfAbsent(
  db: Db,
  draft: NotificationDraft,
  sourceEventId: string,
): Promise<NotificationRow | undefined> {
  const [row] = await db
    .insert(schema.notifications)
    .values({ id: uuidv7(), ...draft, orderId: draft.orderId ?? null, sourceEventId })
    .onConflictDoNothing()
    .returning();
  return row;
}

/** Up to `limit` of the user's notifications after the cursor, newest first. */
export async function notificationsOf(
  db: Db,
  userId: string,
  after: Cursor | undefined,
  limit: number,
): Promise<NotificationRow[]> {
  const n = schema.notifications;
  const position =
    after === undefined
      ? undefined
      : or(lt(n.createdAt, after.createdAt), and(eq(n.createdAt, after.createdAt), lt(n.id, after.id)));
  return db
    .select()
    .from(n)
    .where(and(eq(n.userId, userId), position))
    .orderBy(desc(n.createdAt), desc(n.id))
    .limit(limit);
}
