import type { Message } from "@bufbuild/protobuf";
import {
  type ReservationExpired,
  ReservationExpiredSchema,
  type StockAdjusted,
  StockAdjustedSchema,
  type StockReleased,
  StockReleasedSchema,
  type StockReserved,
  StockReservedSchema,
  type StockRestocked,
  StockRestockedSchema,
} from "@weft/gen/shop/inventory/v1/events_pb.js";
import type { Mesh } from "@weft/mesh";
import type { Database } from "@weft/mesh/data";
import { type EventBus, type RunningConsumer, startConsumer } from "@weft/mesh/events";
import type { AvailabilityUpdate } from "../domain/availability.ts";
import { applyAvailability } from "../store/availability.ts";
import type * as schema from "../store/schema.ts";

/**
 * Every inventory event that moves a product's available. StockCommitted is not one: a commit
 * turns reserved units into sold ones (on hand and reserved both drop), so available stays what
 * the reservation's StockReserved already said, and the next change carries a newer version
 * anyway. Left out, it is acknowledged without a transaction instead of costing an inbox commit
 * per order.
 */
export const inventoryEvents = [
  StockAdjustedSchema,
  StockReservedSchema,
  StockReleasedSchema,
  ReservationExpiredSchema,
  StockRestockedSchema,
] as const;

type ReservationEvent = StockReserved | StockReleased | ReservationExpired | StockRestocked;

/** The availability updates an inventory event carries, one per product it concerns. */
export function availabilityUpdatesOf(message: Message): AvailabilityUpdate[] {
  if (message.$typeName === StockAdjustedSchema.typeName) {
    const adjusted = message as StockAdjusted;
    return [{ productId: adjusted.productId, available: adjusted.available, version: adjusted.version }];
  }
  if (inventoryEvents.some((schema) => schema.typeName === message.$typeName)) {
    return (message as ReservationEvent).changes.map((c) => ({
      productId: c.productId,
      available: c.available,
      version: c.version,
    }));
  }
  return [];
}

/**
 * The CQRS read side: one durable consumer applies inventory's stock events to the availability
 * replica, exactly once in effect (the inbox), newest version wins.
 */
export function consumeInventoryEvents(options: {
  bus: EventBus;
  db: Database<typeof schema>;
  name: string;
  logger: Mesh["logger"];
}): Promise<RunningConsumer> {
  return startConsumer({
    bus: options.bus,
    db: options.db,
    name: options.name,
    events: inventoryEvents,
    logger: options.logger,
    async handle(tx, event) {
      const now = new Date();
      for (const update of availabilityUpdatesOf(event.message)) {
        if (update.productId === "" || update.available < 0n) continue; // malformed: nothing to apply
        await applyAvailability(tx, update, now);
      }
    },
  });
}
