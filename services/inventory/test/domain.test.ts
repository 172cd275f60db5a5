import { describe, expect, it } from "vitest";
import { holdDurationMs, limits } from "../src/domain/limits.ts";
import { decide, inLockOrder, movementOf, type ReservationState, type Transition } from "../src/domain/reservation.ts";
import { availableOf, canAdjust, canReserve, emptyStock } from "../src/domain/stock.ts";

describe("stock", () => {
  it("is all zeros for a product never stocked", () => {
    expect(emptyStock("p1")).toEqual({ productId: "p1", onHand: 0n, reserved: 0n, version: 0n, updatedAt: undefined });
  });

  it("has available = on_hand - reserved, and refuses what would take it below zero", () => {
    const stock = { onHand: 10n, reserved: 7n };
    expect(availableOf(stock)).toBe(3n);
    expect(canReserve(stock, 3n)).toBe(true);
    expect(canReserve(stock, 4n)).toBe(false);
    expect(canReserve(stock, 0n)).toBe(false);
    expect(canAdjust(stock, -3n)).toBe(true);
    expect(canAdjust(stock, -4n)).toBe(false);
  });
});

describe("reservation state machine", () => {
  // transition × current state → expected decision, as the proto's comments state it.
  const table: Array<[Transition, ReservationState, string]> = [
    ["release", "ACTIVE", "apply RELEASED"],
    ["release", "RELEASED", "unchanged"],
    ["release", "EXPIRED", "unchanged"],
    ["release", "COMMITTED", "refuse RESERVATION_COMMITTED"],
    ["release", "RESTOCKED", "refuse RESERVATION_COMMITTED"],
    ["commit", "ACTIVE", "apply COMMITTED"],
    ["commit", "COMMITTED", "unchanged"],
    ["commit", "RESTOCKED", "unchanged"],
    ["commit", "RELEASED", "refuse RESERVATION_NOT_ACTIVE"],
    ["commit", "EXPIRED", "refuse RESERVATION_NOT_ACTIVE"],
    ["restock", "COMMITTED", "apply RESTOCKED"],
    ["restock", "RESTOCKED", "unchanged"],
    ["restock", "ACTIVE", "refuse RESERVATION_NOT_COMMITTED"],
    ["restock", "RELEASED", "refuse RESERVATION_NOT_COMMITTED"],
    ["restock", "EXPIRED", "refuse RESERVATION_NOT_COMMITTED"],
    ["expire", "ACTIVE", "apply EXPIRED"],
    ["expire", "COMMITTED", "unchanged"],
    ["expire", "RELEASED", "unchanged"],
  ];
  it.each(table)("%s of %s → %s", (transition, state, expected) => {
    const decision = decide(transition, state);
    const summary =
      decision.kind === "apply"
        ? `apply ${decision.to}`
        : decision.kind === "refuse"
          ? `refuse ${decision.reason}`
          : "unchanged";
    expect(summary).toBe(expected);
  });

  it("moves stock by the line's quantity in the direction of each state", () => {
    expect(movementOf("ACTIVE", 3)).toEqual({ onHand: 0n, reserved: 3n });
    expect(movementOf("RELEASED", 3)).toEqual({ onHand: 0n, reserved: -3n });
    expect(movementOf("EXPIRED", 3)).toEqual({ onHand: 0n, reserved: -3n });
    expect(movementOf("COMMITTED", 3)).toEqual({ onHand: -3n, reserved: -3n });
    expect(movementOf("RESTOCKED", 3)).toEqual({ onHand: 3n, reserved: 0n });
  });

  it("locks lines in product id order whatever order they came in", () => {
    const lines = [
      { productId: "c", quantity: 1 },
      { productId: "a", quantity: 2 },
      { productId: "b", quantity: 3 },
    ];
    expect(inLockOrder(lines).map((l) => l.productId)).toEqual(["a", "b", "c"]);
    expect(lines[0]?.productId).toBe("c"); // the input is not reordered in place
  });
});

describe("hold duration", () => {
  it("uses the default when no ttl is asked for, and clamps to one day", () => {
    expect(holdDurationMs(undefined, 900_000)).toBe(900_000);
    expect(holdDurationMs(1_000, 900_000)).toBe(1_000);
    expect(holdDurationMs(limits.maxTtlMs * 3, 900_000)).toBe(limits.maxTtlMs);
  });
});
