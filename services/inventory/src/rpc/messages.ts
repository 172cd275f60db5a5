import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  ReservationState as ProtoState,
  type ReservationSchema,
  type StockLevelSchema,
} from "@weft/gen/shop/inventory/v1/inventory_pb.js";
import type { Reservation, ReservationState } from "../domain/reservation.ts";
import { availableOf, type Stock } from "../domain/stock.ts";

const protoStates: Record<ReservationState, ProtoState> = {
  ACTIVE: ProtoState.ACTIVE,
  RELEASED: ProtoState.RELEASED,
  COMMITTED: ProtoState.COMMITTED,
  EXPIRED: ProtoState.EXPIRED,
  RESTOCKED: ProtoState.RESTOCKED,
};

export function stockLevelMessage(stock: Stock): MessageInitShape<typeof StockLevelSchema> {
  return {
    productId: stock.productId,
    onHand: stock.onHand,
    reserved: stock.reserved,
    available: availableOf(stock),
    version: stock.version,
    updateTime: stock.updatedAt ? timestampFromDate(stock.updatedAt) : undefined,
  };
}

export function reservationMessage(reservation: Reservation): MessageInitShape<typeof ReservationSchema> {
  return {
    id: reservation.id,
    orderId: reservation.orderId,
    lines: reservation.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
    state: protoStates[reservation.state],
    expireTime: timestampFromDate(reservation.expireTime),
    createTime: timestampFromDate(reservation.createdAt),
    updateTime: timestampFromDate(reservation.updatedAt),
  };
}
