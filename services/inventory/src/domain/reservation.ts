/** Where a reservation is in its life (the proto's ReservationState without the prefix). */
export type ReservationState = "ACTIVE" | "RELEASED" | "COMMITTED" | "EXPIRED" | "RESTOCKED";

export interface ReservationLine {
  readonly productId: string;
  readonly quantity: number;
}

export interface Reservation {
  readonly id: string;
  readonly orderId: string;
  readonly lines: readonly ReservationLine[];
  readonly state: ReservationState;
  readonly expireTime: Date;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A request to move a reservation that the current state refuses, with the proto's stable reason. */
export interface Refusal {
  readonly kind: "refuse";
  readonly reason: "RESERVATION_COMMITTED" | "RESERVATION_NOT_ACTIVE" | "RESERVATION_NOT_COMMITTED";
  readonly message: string;
}

/**
 * What a state change asks for, given the current state: do it, answer with the reservation
 * unchanged (a retry of a change already made: idempotent by state), or refuse.
 */
export type Decision =
  | { readonly kind: "apply"; readonly to: ReservationState }
  | { readonly kind: "unchanged" }
  | Refusal;

export type Transition = "release" | "commit" | "restock" | "expire";

const apply = (to: ReservationState): Decision => ({ kind: "apply", to });
const unchanged: Decision = { kind: "unchanged" };

/**
 * The reservation state machine: ACTIVE → RELEASED | COMMITTED | EXPIRED, COMMITTED → RESTOCKED.
 * Releasing an already released or expired reservation is a retry; committing twice is too, and
 * so is committing one that was committed and then restocked (the commit did happen).
 */
export function decide(transition: Transition, state: ReservationState): Decision {
  switch (transition) {
    case "release":
      if (state === "ACTIVE") return apply("RELEASED");
      if (state === "RELEASED" || state === "EXPIRED") return unchanged;
      return refuse("RESERVATION_COMMITTED", `the reservation is ${state}; committed stock cannot be released`);
    case "commit":
      if (state === "ACTIVE") return apply("COMMITTED");
      if (state === "COMMITTED" || state === "RESTOCKED") return unchanged;
      return refuse(
        "RESERVATION_NOT_ACTIVE",
        `the reservation is ${state}; only an ACTIVE reservation can be committed`,
      );
    case "restock":
      if (state === "COMMITTED") return apply("RESTOCKED");
      if (state === "RESTOCKED") return unchanged;
      return refuse(
        "RESERVATION_NOT_COMMITTED",
        `the reservation is ${state}; only a COMMITTED reservation can be restocked`,
      );
    case "expire":
      // The loop only picks ACTIVE rows; anything else was resolved meanwhile and stays as it is.
      return state === "ACTIVE" ? apply("EXPIRED") : unchanged;
  }
}

function refuse(reason: Refusal["reason"], message: string): Refusal {
  return { kind: "refuse", reason, message };
}

/** How each applied transition moves a product's stock by a line's quantity. */
export interface StockMovement {
  readonly onHand: bigint;
  readonly reserved: bigint;
}

export function movementOf(to: ReservationState, quantity: number): StockMovement {
  const q = BigInt(quantity);
  switch (to) {
    case "ACTIVE":
      return { onHand: 0n, reserved: q };
    case "RELEASED":
    case "EXPIRED":
      return { onHand: 0n, reserved: -q };
    case "COMMITTED":
      return { onHand: -q, reserved: -q };
    case "RESTOCKED":
      return { onHand: q, reserved: 0n };
  }
}

/** Lines in the order their stock rows are locked: by product id, so concurrent calls never deadlock. */
export function inLockOrder<L extends ReservationLine>(lines: readonly L[]): L[] {
  return [...lines].sort((a, b) => (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
}
