import { asc, eq } from "drizzle-orm";
import type { Reservation, ReservationLine, ReservationState } from "../domain/reservation.ts";
import * as schema from "./schema.ts";
import type { Db } from "./stock-rows.ts";

const { reservations, reservationLines } = schema;

type ReservationRow = typeof reservations.$inferSelect;

function toReservation(row: ReservationRow, lines: readonly ReservationLine[]): Reservation {
  return {
    id: row.id,
    orderId: row.orderId,
    lines,
    state: row.state,
    expireTime: row.expireTime,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

async function withLines(db: Db, row: ReservationRow | undefined): Promise<Reservation | undefined> {
  if (!row) return undefined;
  const lines = await db
    .select({ productId: reservationLines.productId, quantity: reservationLines.quantity })
    .from(reservationLines)
    .where(eq(reservationLines.reservationId, row.id))
    .orderBy(asc(reservationLines.productId));
  return toReservation(row, lines);
}

export async function findReservation(db: Db, id: string): Promise<Reservation | undefined> {
  const [row] = await db.select().from(reservations).where(eq(reservations.id, id));
  return withLines(db, row);
}

export async function findReservationByKey(db: Db, idempotencyKey: string): Promise<Reservation | undefined> {
  const [row] = await db.select().from(reservations).where(eq(reservations.idempotencyKey, idempotencyKey));
  return withLines(db, row);
}

/**
 * Locks a reservation row for a state change (FOR UPDATE): concurrent Release/Commit/expiry of
 * the same reservation run one after the other, each seeing the state the previous one left.
 * `skipLocked` lets the expiry loop pass over a reservation someone is changing right now.
 */
export async function lockReservation(
  db: Db,
  id: string,
  options: { skipLocked?: boolean } = {},
): Promise<Reservation | undefined> {
  const query = db.select().from(reservations).where(eq(reservations.id, id));
  const [row] = await (options.skipLocked ? query.for("update", { skipLocked: true }) : query.for("update"));
  return withLines(db, row);
}

/**
 * Inserts a new ACTIVE reservation unless its idempotency key is taken. A concurrent insert of
 * the same key waits on the unique index until the first transaction ends, so exactly one of
 * them proceeds to hold stock. Returns whether this call inserted it.
 */
export async function insertReservation(db: Db, reservation: Reservation, idempotencyKey: string): Promise<boolean> {
  const inserted = await db
    .insert(reservations)
    .values({
      id: reservation.id,
      orderId: reservation.orderId,
      idempotencyKey,
      state: reservation.state,
      expireTime: reservation.expireTime,
      createdAt: reservation.createdAt,
      updatedAt: reservation.updatedAt,
    })
    .onConflictDoNothing({ target: reservations.idempotencyKey })
    .returning({ id: reservations.id });
  if (inserted.length === 0) return false;
  await db
    .insert(reservationLines)
    .values(
      reservation.lines.map((l) => ({ reservationId: reservation.id, productId: l.productId, quantity: l.quantity })),
    );
  return true;
}

export async function setReservationState(db: Db, id: string, state: ReservationState, now: Date): Promise<void> {
  await db.update(reservations).set({ state, updatedAt: now }).where(eq(reservations.id, id));
}

/**
 * Up to `limit` ACTIVE reservations whose expire_time has passed, oldest first, and when the next
 * one expires (now, if more are due than `limit`): one query, whether or not any is due.
 */
export async function dueForExpiry(
  db: Db,
  now: Date,
  limit: number,
): Promise<{ due: string[]; nextExpiry: Date | undefined }> {
  const rows = await db
    .select({ id: reservations.id, expireTime: reservations.expireTime })
    .from(reservations)
    .where(eq(reservations.state, "ACTIVE"))
    .orderBy(asc(reservations.expireTime))
    .limit(limit + 1);
  const due = rows.filter((r) => r.expireTime <= now);
  const next = due.length > limit ? now : rows[due.length]?.expireTime;
  return { due: due.slice(0, limit).map((r) => r.id), nextExpiry: next };
}
