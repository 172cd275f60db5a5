import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  ReservationExpiredSchema,
  StockAdjustedSchema,
  type StockChangeSchema,
  StockCommittedSchema,
  StockReleasedSchema,
  StockReservedSchema,
  StockRestockedSchema,
} from "@weft/gen/shop/inventory/v1/events_pb.js";
import type { Transaction } from "@weft/mesh/data";
import { recordEvent } from "@weft/mesh/events";
import type { ReservationState } from "../domain/reservation.ts";
import { availableOf, type Stock } from "../domain/stock.ts";

type StockChangeInit = MessageInitShape<typeof StockChangeSchema>;

/** One product's entry in a reservation event: the line's quantity and the stock after the event. */
export function stockChange(stock: Stock, quantity: number): StockChangeInit {
  return {
    productId: stock.productId,
    quantity,
    onHand: stock.onHand,
    available: availableOf(stock),
    version: stock.version,
  };
}

export interface ReservationEventFacts {
  reservationId: string;
  orderId: string;
  changes: StockChangeInit[];
  reason: string;
}

/**
 * Records, in the transaction that made it, the event announcing a reservation's new state. The
 * subject is the reservation id; every change carries the product's new available and version.
 */
export async function recordReservationEvent<Schema extends Record<string, unknown>>(
  tx: Transaction<Schema>,
  to: ReservationState,
  facts: ReservationEventFacts,
): Promise<void> {
  const { reservationId, orderId, changes, reason } = facts;
  const subject = reservationId;
  const base = { reservationId, orderId, changes };
  switch (to) {
    case "ACTIVE":
      await recordEvent(tx, { schema: StockReservedSchema, message: base, subject });
      return;
    case "RELEASED":
      await recordEvent(tx, { schema: StockReleasedSchema, message: { ...base, reason }, subject });
      return;
    case "COMMITTED":
      await recordEvent(tx, { schema: StockCommittedSchema, message: base, subject });
      return;
    case "EXPIRED":
      await recordEvent(tx, { schema: ReservationExpiredSchema, message: base, subject });
      return;
    case "RESTOCKED":
      await recordEvent(tx, { schema: StockRestockedSchema, message: base, subject });
      return;
  }
}

export async function recordStockAdjusted<Schema extends Record<string, unknown>>(
  tx: Transaction<Schema>,
  stock: Stock,
  delta: bigint,
  reason: string,
): Promise<void> {
  await recordEvent(tx, {
    schema: StockAdjustedSchema,
    message: {
      productId: stock.productId,
      delta,
      reason,
      onHand: stock.onHand,
      available: availableOf(stock),
      version: stock.version,
    },
    subject: stock.productId,
  });
}
