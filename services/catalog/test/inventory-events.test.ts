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

it("reads the new available and version of every product from each of the six inventory events", () => {
  expect(inventoryEvents).toHaveLength(6);
  expect(
    availabilityUpdatesOf(create(StockAdjustedSchema, { productId: "p", delta: 3n, available: 8n, version: 4n })),
  ).toEqual([{ productId: "p", available: 8n, version: 4n }]);
  const changes = [
    { productId: "a", quantity: 1, onHand: 5n, available: 2n, version: 7n },
    { productId: "b", quantity: 2, onHand: 9n, available: 0n, version: 3n },
  ];
  for (const schema of [
    StockReservedSchema,
    StockReleasedSchema,
    StockCommittedSchema,
    ReservationExpiredSchema,
    StockRestockedSchema,
  ]) {
    expect(availabilityUpdatesOf(create(schema, { reservationId: "r", orderId: "o", changes }))).toEqual([
      { productId: "a", available: 2n, version: 7n },
      { productId: "b", available: 0n, version: 3n },
    ]);
  }
});
