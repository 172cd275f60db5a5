import { create } from "@bufbuild/protobuf";
import {
  ReservationExpiredSchema,
  StockAdjustedSchema,
  StockCommittedSchema,
  StockReleasedSchema,
  StockReservedSchema,
  StockRestockedSchema,
} from "@weft/gen/shop/inventory/v1/events_pb.js";
import { expect, it } from "vitest";
import { availabilityUpdatesOf, inventoryEvents } from "../src/events/inventory-consumer.ts";

it("reads the new available and version of every product from each inventory event that moves available", () => {
  expect(inventoryEvents.map((schema) => schema.typeName)).not.toContain(StockCommittedSchema.typeName);
  expect(inventoryEvents).toHaveLength(5);
  expect(
    availabilityUpdatesOf(create(StockAdjustedSchema, { productId: "p", delta: 3n, available: 8n, version: 4n })),
  ).toEqual([{ productId: "p", available: 8n, version: 4n }]);
  const changes = [
    { productId: "a", quantity: 1, onHand: 5n, available: 2n, version: 7n },
    { productId: "b", quantity: 2, onHand: 9n, available: 0n, version: 3n },
  ];
  for (const schema of [StockReservedSchema, StockReleasedSchema, ReservationExpiredSchema, StockRestockedSchema]) {
    expect(availabilityUpdatesOf(create(schema, { reservationId: "r", orderId: "o", changes }))).toEqual([
      { productId: "a", available: 2n, version: 7n },
      { productId: "b", available: 0n, version: 3n },
    ]);
  }
});

it("a commit changes nothing the replica holds: StockCommitted reads as no update", () => {
  const changes = [{ productId: "a", quantity: 1, onHand: 4n, available: 2n, version: 8n }];
  expect(availabilityUpdatesOf(create(StockCommittedSchema, { reservationId: "r", orderId: "o", changes }))).toEqual(
    [],
  );
});
