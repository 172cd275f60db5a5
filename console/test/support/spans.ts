// Span records for unit tests: realistic defaults, overridable per test.
import type { SpanEvent, SpanRecord } from "../../src/otlp/model.ts";

let next = 1;

export function spanId(): string {
  return (next++).toString(16).padStart(16, "0");
}

export const traceA = "0af7651916cd43dd8448eb211c80319c";
export const traceB = "4bf92f3577b34da6a3ce929d0e0e4736";

export function span(overrides: Partial<SpanRecord> = {}): SpanRecord {
  return {
    traceId: traceA,
    spanId: spanId(),
    parentSpanId: undefined,
    name: "shop.orders.v1.OrderService/PlaceOrder",
    kind: "server",
    service: "orders",
    startMs: 1_700_000_000_000,
    durationMs: 10,
    status: "unset",
    statusMessage: "",
    attributes: {},
    events: [],
    links: [],
    scope: "weft-mesh",
    ...overrides,
  };
}

/** The mesh's deny of `catalog` calling PaymentService/Charge, as a span event; `extra` adds attributes. */
export function catalogChargeDenied(extra: SpanEvent["attributes"] = {}): SpanEvent {
  return {
    name: "authz.decision",
    timeMs: 1,
    attributes: {
      "authz.decision": "deny",
      "authz.caller": "spiffe://cluster.local/ns/shop/sa/catalog",
      "authz.method": "/shop.payments.v1.PaymentService/Charge",
      ...extra,
    },
  };
}
