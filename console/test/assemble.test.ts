import { describe, expect, it } from "vitest";
import { assembleTrace, summarizeTrace } from "../src/traces/assemble.ts";
import { span, spanId } from "./support/spans.ts";

describe("trace assembly", () => {
  const t0 = 1_700_000_000_000;
  const gatewayId = spanId();
  const ordersId = spanId();
  const gateway = span({ spanId: gatewayId, kind: "client", service: "gateway", startMs: t0, durationMs: 40 });
  const orders = span({
    spanId: ordersId,
    parentSpanId: gatewayId,
    service: "orders",
    startMs: t0 + 2,
    durationMs: 30,
  });
  const catalog = span({
    parentSpanId: ordersId,
    service: "catalog",
    name: "shop.catalog.v1.CatalogService/GetProduct",
    startMs: t0 + 5,
    durationMs: 3,
  });
  const publish = span({
    parentSpanId: ordersId,
    service: "orders",
    kind: "producer",
    name: "publish shop.orders.v1.OrderPlaced",
    startMs: t0 + 50,
    durationMs: 2,
  });
  const consume = span({
    parentSpanId: publish.spanId,
    service: "notifications",
    kind: "consumer",
    name: "consume shop.orders.v1.OrderPlaced",
    startMs: t0 + 60,
    durationMs: 5,
    status: "error",
  });

  it("orders a waterfall depth-first with children by start time, whatever the arrival order", () => {
    const { rows, summary } = assembleTrace([consume, publish, catalog, orders, gateway]);
    expect(rows.map((r) => [r.span.service, r.depth])).toEqual([
      ["gateway", 0],
      ["orders", 1],
      ["catalog", 2],
      ["orders", 2],
      ["notifications", 3],
    ]);
    expect(rows.map((r) => r.offsetMs)).toEqual([0, 2, 5, 50, 60]);
    expect(summary).toMatchObject({
      rootName: gateway.name,
      rootService: "gateway",
      spanCount: 5,
      errorCount: 1,
      durationMs: 65,
      services: ["gateway", "orders", "catalog", "notifications"],
    });
  });

  it("shows spans whose parent has not arrived as roots, marked orphan, and prefers a true root", () => {
    const { rows, summary } = assembleTrace([catalog, orders]);
    expect(rows[0]).toMatchObject({ depth: 0, orphan: true });
    expect(rows[1]).toMatchObject({ depth: 1, orphan: false });
    expect(summary.rootService).toBe("orders");
    const late = span({ service: "gateway", startMs: t0 + 100 });
    expect(summarizeTrace([orders, late]).rootService).toBe("gateway");
  });

  it("keeps spans on a parent cycle instead of losing them", () => {
    const a = spanId();
    const b = spanId();
    const rows = assembleTrace([
      span({ spanId: a, parentSpanId: b }),
      span({ spanId: b, parentSpanId: a, startMs: t0 + 1 }),
    ]).rows;
    expect(rows).toHaveLength(2);
  });

  it("refuses an empty trace", () => {
    expect(() => summarizeTrace([])).toThrow(RangeError);
  });
});
