import type { Database, Transaction } from "@weft/mesh/data";
import { eq } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { InventoryError, insufficientStock } from "../domain/errors.ts";
import {
  decide,
  inLockOrder,
  movementOf,
  type Reservation,
  type ReservationLine,
  type Transition,
} from "../domain/reservation.ts";
import { availableOf, type Stock } from "../domain/stock.ts";
import { recordReservationEvent, recordStockAdjusted, stockChange } from "../events/stock-events.ts";
import {
  dueForExpiry,
  findReservation,
  findReservationByKey,
  insertReservation,
  lockReservation,
  setReservationState,
} from "./reservation-rows.ts";
import * as schema from "./schema.ts";
import { addOnHand, type Db, moveStock, readStock } from "./stock-rows.ts";

export interface AdjustCommand {
  productId: string;
  delta: bigint;
  reason: string;
  /** Empty: no deduplication. */
  idempotencyKey: string;
}

export interface ReserveCommand {
  orderId: string;
  lines: readonly ReservationLine[];
  holdMs: number;
  idempotencyKey: string;
}

export interface StoreHooks {
  /** Told after a commit that recorded events. */
  published: () => void;
  /** Told after a commit that holds stock until `expireTime` (the expiry loop's next due time). */
  held?: (expireTime: Date) => void;
}

/**
 * The inventory's use cases, each one database transaction that changes state and records its
 * event in the outbox together; the hooks hear of what was committed.
 */
export class InventoryStore {
  constructor(
    private readonly db: Database<typeof schema>,
    private readonly hooks: StoreHooks,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private published(): void {
    this.hooks.published();
  }

  getStock(productId: string): Promise<Stock> {
    return readStock(this.db, productId);
  }

  async getReservation(id: string): Promise<Reservation> {
    const reservation = await findReservation(this.db, id);
    if (!reservation) throw notFound(id);
    return reservation;
  }

  async adjust(command: AdjustCommand): Promise<Stock> {
    const { productId, delta, reason, idempotencyKey } = command;
    const result = await this.db.transaction(async (tx): Promise<{ stock: Stock; replay: boolean }> => {
      const now = this.clock();
      const id = uuidv7();
      // Claim the key first: a concurrent call with the same key waits here, then replays.
      const claimed = await tx
        .insert(schema.adjustments)
        .values({ id, idempotencyKey: idempotencyKey || null, productId, delta, reason, createdAt: now })
        .onConflictDoNothing({ target: schema.adjustments.idempotencyKey })
        .returning({ id: schema.adjustments.id });
      if (claimed.length === 0) return { stock: await replayAdjustment(tx, command), replay: true };
      let stock: Stock | undefined;
      if (delta > 0n) {
        stock = await addOnHand(tx, productId, delta, now);
      } else {
        stock = await moveStock(tx, productId, { onHand: delta, reserved: 0n }, now);
        if (!stock) {
          throw insufficientStock(productId, availableOf(await readStock(tx, productId)), -delta);
        }
      }
      await tx
        .update(schema.adjustments)
        .set({ onHandAfter: stock.onHand, reservedAfter: stock.reserved, versionAfter: stock.version })
        .where(eq(schema.adjustments.id, id));
      await recordStockAdjusted(tx, stock, delta, reason);
      return { stock, replay: false };
    });
    if (!result.replay) this.published();
    return result.stock;
  }

  async reserve(command: ReserveCommand): Promise<Reservation> {
    const result = await this.db.transaction(async (tx): Promise<{ reservation: Reservation; replay: boolean }> => {
      const now = this.clock();
      const reservation: Reservation = {
        id: uuidv7(),
        orderId: command.orderId,
        lines: inLockOrder(command.lines),
        state: "ACTIVE",
        expireTime: new Date(now.getTime() + command.holdMs),
        createdAt: now,
        updatedAt: now,
      };
      if (!(await insertReservation(tx, reservation, command.idempotencyKey))) {
        const first = await findReservationByKey(tx, command.idempotencyKey);
        if (!first) throw new Error("idempotency key conflict without a reservation"); // cannot happen: unique key
        return { reservation: first, replay: true };
      }
      // All or nothing: the first line that cannot be covered throws, rolling back the lines
      // already held. Rows are locked in product id order, so reservations never deadlock.
      const changes = [];
      for (const line of reservation.lines) {
        const stock = await moveStock(tx, line.productId, movementOf("ACTIVE", line.quantity), now);
        if (!stock) {
          const current = await readStock(tx, line.productId);
          throw insufficientStock(line.productId, availableOf(current), BigInt(line.quantity));
        }
        changes.push(stockChange(stock, line.quantity));
      }
      await recordReservationEvent(tx, "ACTIVE", {
        reservationId: reservation.id,
        orderId: reservation.orderId,
        changes,
        reason: "",
      });
      return { reservation, replay: false };
    });
    if (!result.replay) {
      this.published();
      this.hooks.held?.(result.reservation.expireTime);
    }
    return result.reservation;
  }

  /** Release, Commit or Restock: idempotent by state, refused by the state machine otherwise. */
  async transition(id: string, transition: Exclude<Transition, "expire">, reason = ""): Promise<Reservation> {
    const result = await this.db.transaction((tx) => this.transitionIn(tx, id, transition, reason, false));
    if (!result) throw notFound(id);
    if (result.changed) this.published();
    return result.reservation;
  }

  /**
   * Expires every ACTIVE reservation past its expire_time, each in its own transaction (so one
   * reservation's stock rows are locked at a time, in product order). Returns how many expired
   * and when the next ACTIVE one expires.
   */
  async expireDue(batch = 100): Promise<{ expired: number; nextExpiry: Date | undefined }> {
    const { due, nextExpiry } = await dueForExpiry(this.db, this.clock(), batch);
    let expired = 0;
    for (const id of due) {
      const result = await this.db.transaction((tx) => this.transitionIn(tx, id, "expire", "", true));
      if (result?.changed) expired++;
    }
    if (expired > 0) this.published();
    return { expired, nextExpiry };
  }

  private async transitionIn(
    tx: Transaction<typeof schema>,
    id: string,
    transition: Transition,
    reason: string,
    skipLocked: boolean,
  ): Promise<{ reservation: Reservation; changed: boolean } | undefined> {
    const reservation = await lockReservation(tx, id, { skipLocked });
    if (!reservation) return undefined;
    const now = this.clock();
    // The expiry loop re-checks under the lock: a Release or Commit may have won the race.
    if (transition === "expire" && reservation.expireTime > now) return { reservation, changed: false };
    const decision = decide(transition, reservation.state);
    if (decision.kind === "unchanged") return { reservation, changed: false };
    if (decision.kind === "refuse") {
      throw new InventoryError({ kind: "state", reason: decision.reason, message: decision.message });
    }
    const changes = [];
    for (const line of inLockOrder(reservation.lines)) {
      const stock = await moveStock(tx, line.productId, movementOf(decision.to, line.quantity), now);
      // The reservation's own units are what moves, so the invariants cannot fail here unless
      // the data is corrupt; refuse rather than write a partial change.
      if (!stock) throw new Error(`stock of ${line.productId} does not cover reservation ${id}`);
      changes.push(stockChange(stock, line.quantity));
    }
    await setReservationState(tx, id, decision.to, now);
    await recordReservationEvent(tx, decision.to, { reservationId: id, orderId: reservation.orderId, changes, reason });
    return { reservation: { ...reservation, state: decision.to, updatedAt: now }, changed: true };
  }
}

/** The stock a repeated AdjustStock key answers with: what the first call left behind. */
async function replayAdjustment(tx: Db, command: AdjustCommand): Promise<Stock> {
  const [first] = await tx
    .select()
    .from(schema.adjustments)
    .where(eq(schema.adjustments.idempotencyKey, command.idempotencyKey));
  if (!first) throw new Error("idempotency key conflict without an adjustment"); // cannot happen: unique key
  if (first.productId !== command.productId || first.delta !== command.delta) {
    throw new InventoryError({
      kind: "key_reused",
      field: "idempotency_key",
      message: "was already used for a different adjustment",
    });
  }
  return {
    productId: first.productId,
    onHand: first.onHandAfter ?? 0n,
    reserved: first.reservedAfter ?? 0n,
    version: first.versionAfter ?? 0n,
    updatedAt: first.createdAt,
  };
}

function notFound(id: string): InventoryError {
  return new InventoryError({ kind: "not_found", message: `reservation ${id} not found` });
}
