// The console's pure model: decisions read from spans and log lines, the grant a deny is missing,
// the topology drawn from manifests and traffic, log lines, saga timelines.
import { describe, expect, it } from "vitest";
import type { ConsoleApp, Grant } from "../src/app.ts";
import type { AuthzDecision } from "../src/authz/decision.ts";
import { decisionsOf } from "../src/authz/decisions.ts";
import { parseLogLine } from "../src/logs/parse.ts";
import { grantSuggestion, policyMatrix } from "../src/policy/matrix.ts";
import { sagaTimeline } from "../src/sagas/timeline.ts";
import { buildTopology } from "../src/topology/graph.ts";
import { trafficKey, trafficKeysOf } from "../src/traffic/keys.ts";
import { RedWindows } from "../src/traffic/windows.ts";
import { span } from "./support/spans.ts";

const app: ConsoleApp = {
  root: "/shop",
  manifest: { name: "shop", trustDomain: "cluster.local", namespace: "shop" },
  services: [
    {
      name: "catalog",
      file: "/shop/services/catalog/weft.yaml",
      implements: ["shop.catalog.v1.CatalogService"],
      database: true,
      edge: true,
      calls: [],
      publishes: [],
      consumes: ["shop.inventory.v1.StockChanged"],
    },
    {
      name: "inventory",
      file: "/shop/services/inventory/weft.yaml",
      implements: ["shop.inventory.v1.InventoryService"],
      database: true,
      edge: true,
      calls: [],
      publishes: ["shop.inventory.v1.StockChanged"],
      consumes: [],
    },
    {
      name: "orders",
      file: "/shop/services/orders/weft.yaml",
      implements: ["shop.orders.v1.OrderService"],
      database: true,
      edge: true,
      calls: [{ service: "catalog", methods: ["/shop.catalog.v1.CatalogService/GetProduct"] }],
      publishes: [],
      consumes: [],
    },
    {
      name: "payments",
      file: "/shop/services/payments/weft.yaml",
      implements: ["shop.payments.v1.PaymentService"],
      database: true,
      edge: false,
      calls: [],
      publishes: [],
      consumes: [],
    },
  ],
};
const grants: Grant[] = [
  { callee: "catalog", caller: "orders", paths: ["/shop.catalog.v1.CatalogService/GetProduct"] },
  { callee: "orders", caller: "gateway", paths: ["/shop.orders.v1.OrderService/PlaceOrder"] },
];
const deny = (caller: string, method: string, workload: string): AuthzDecision => ({
  timeMs: 1,
  decision: "deny",
  workload,
  caller,
  method,
  policy: "",
  rule: -1,
  reason: "",
  traceId: "t",
  spanId: "s",
});
const sa = (name: string) => `spiffe://cluster.local/ns/shop/sa/${name}`;

describe("authorization decisions", () => {
  it("are read from the authz.decision span events, and only from those", () => {
    const s = span({
      service: "payments",
      events: [
        {
          name: "authz.decision",
          timeMs: 5,
          attributes: {
            "authz.decision": "deny",
            "authz.caller": sa("catalog"),
            "authz.method": "/shop.payments.v1.PaymentService/Charge",
            "authz.policy": "shop/payments",
            "authz.rule": -1,
            "authz.reason": "no rule matched",
          },
        },
        { name: "exception", timeMs: 6, attributes: {} },
        { name: "authz.decision", timeMs: 7, attributes: { "authz.decision": "maybe" } },
      ],
    });
    expect(decisionsOf(s)).toEqual([
      {
        timeMs: 5,
        decision: "deny",
        workload: "payments",
        caller: sa("catalog"),
        method: "/shop.payments.v1.PaymentService/Charge",
        policy: "shop/payments",
        rule: -1,
        reason: "no rule matched",
        traceId: s.traceId,
        spanId: s.spanId,
      },
    ]);
  });
});

describe("the grant a deny is missing", () => {
  it("is a calls entry in the caller's manifest, keeping what it already declares", () => {
    const s = grantSuggestion(
      app,
      grants,
      deny(sa("orders"), "/shop.catalog.v1.CatalogService/ListProducts", "catalog"),
    );
    expect(s.file).toBe("services/orders/weft.yaml");
    expect(s.yaml).toBe("calls:\n  catalog: [CatalogService/GetProduct, CatalogService/ListProducts]");
  });

  it("is edge: true and an http annotation for the gateway", () => {
    const s = grantSuggestion(app, grants, deny(sa("gateway"), "/shop.payments.v1.PaymentService/Charge", "payments"));
    expect(s).toMatchObject({ file: "services/payments/weft.yaml", yaml: "edge: true" });
    expect(s.explanation).toContain("google.api.http");
  });

  it("says when no manifest can grant it, or when the policy is stale", () => {
    expect(
      grantSuggestion(app, grants, deny("", "/shop.catalog.v1.CatalogService/GetProduct", "catalog")).yaml,
    ).toBeUndefined();
    expect(
      grantSuggestion(app, grants, deny(sa("intruder"), "/shop.catalog.v1.CatalogService/GetProduct", "catalog"))
        .explanation,
    ).toContain("not a workload of this app");
    expect(
      grantSuggestion(app, grants, deny(sa("orders"), "/shop.catalog.v1.CatalogService/GetProduct", "catalog"))
        .explanation,
    ).toContain("older than the manifests");
  });
});

describe("the policy matrix", () => {
  it("puts grants and decisions in the caller × callee cells", () => {
    const m = policyMatrix(app, grants, [
      deny(sa("orders"), "/shop.payments.v1.PaymentService/Charge", "payments"),
      { ...deny(sa("orders"), "/x", "catalog"), decision: "allow" },
    ]);
    expect(m.callers).toEqual(["gateway", "catalog", "inventory", "orders", "payments"]);
    expect(m.cells.find((c) => c.caller === "orders" && c.callee === "catalog")).toMatchObject({
      granted: ["/shop.catalog.v1.CatalogService/GetProduct"],
      allows: 1,
      denies: 0,
    });
    expect(m.cells.find((c) => c.caller === "orders" && c.callee === "payments")).toMatchObject({
      granted: [],
      denies: 1,
      deniedPaths: { "/shop.payments.v1.PaymentService/Charge": 1 },
    });
  });
});

describe("the topology", () => {
  const now = Date.now();
  const traffic = new RedWindows();
  const client = span({
    kind: "client",
    service: "orders",
    attributes: { "rpc.service": "shop.catalog.v1.CatalogService", "rpc.method": "GetProduct" },
  });
  for (const key of trafficKeysOf(client, app)) traffic.record(key, now - 1_000, 3, true, now);
  const topology = buildTopology({
    app,
    grants,
    health: new Map([["orders", "SERVING"]]),
    traffic: (key) => traffic.summary(key, 60_000, now),
    decisions: [deny(sa("catalog"), "/shop.payments.v1.PaymentService/Charge", "payments")],
    observedCalls: [["weft-console", "orders"]],
  });
  const edge = (from: string, to: string, kind = "call") =>
    topology.edges.find((e) => e.from === from && e.to === to && e.kind === kind);

  it("has the services, the gateway, NATS and a database per service", () => {
    expect(topology.nodes.map((n) => n.id).sort()).toEqual(
      [
        "catalog",
        "db:catalog",
        "db:inventory",
        "db:orders",
        "db:payments",
        "gateway",
        "inventory",
        "nats",
        "orders",
        "payments",
        "weft-console",
      ].sort(),
    );
    expect(topology.nodes.find((n) => n.id === "orders")?.health).toBe("SERVING");
    expect(topology.nodes.find((n) => n.id === "catalog")?.health).toBe("unknown");
  });

  it("draws declared calls with their live traffic, and events through NATS", () => {
    expect(trafficKeysOf(client, app)).toEqual([trafficKey.call("orders", "catalog")]);
    expect(edge("orders", "catalog")).toMatchObject({ declared: true, errorRatio: 1 });
    expect(edge("orders", "catalog")!.rate).toBeGreaterThan(0);
    expect(edge("gateway", "orders")).toMatchObject({
      declared: true,
      labels: ["/shop.orders.v1.OrderService/PlaceOrder"],
    });
    expect(edge("inventory", "nats", "publish")?.labels).toEqual(["shop.inventory.v1.StockChanged"]);
    expect(edge("nats", "catalog", "consume")).toBeDefined();
    expect(edge("orders", "db:orders", "data")).toBeDefined();
  });

  it("draws undeclared traffic and denies as undeclared edges", () => {
    expect(edge("weft-console", "orders")).toMatchObject({ declared: false });
    expect(edge("catalog", "payments")).toMatchObject({
      declared: false,
      denies: 1,
      labels: ["/shop.payments.v1.PaymentService/Charge"],
    });
  });
});

describe("log lines", () => {
  it("keep pino's fields, level and trace ids; text lines get a level from their markers or stream", () => {
    const json = parseLogLine(
      "orders",
      JSON.stringify({
        level: 50,
        time: 1_700_000_000_000,
        msg: "boom",
        trace_id: "0af7651916cd43dd8448eb211c80319c",
        span_id: "nothex",
        request_id: "r1",
        service: "orders",
        err: { message: "x" },
      }),
    );
    expect(json).toMatchObject({
      level: "error",
      timeMs: 1_700_000_000_000,
      msg: "boom",
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: undefined,
      requestId: "r1",
      fields: { err: { message: "x" } },
    });
    expect(parseLogLine("nats", "[42] 2030/01/01 00:00:00.000000 [ERR] oops").level).toBe("error");
    expect(parseLogLine("orders", "something on stderr", "stderr").level).toBe("warn");
    expect(parseLogLine("orders", "{not json").msg).toBe("{not json");
  });
});

describe("saga timelines", () => {
  it("order the spans carrying the saga's id, with outcomes, compensations and the last status", () => {
    const spans = [
      span({
        startMs: 30,
        attributes: {
          "saga.id": "o1",
          "saga.step": "release",
          "saga.compensation": true,
          "saga.outcome": "ok",
          "saga.status": "CANCELLED",
        },
      }),
      span({
        startMs: 10,
        attributes: {
          "saga.id": "o1",
          "saga.name": "order",
          "saga.step": "reserve",
          "saga.outcome": "ok",
          "saga.status": "PENDING",
        },
      }),
      span({
        startMs: 20,
        traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
        attributes: {
          "saga.id": "o1",
          "saga.step": "charge",
          "saga.outcome": "refused",
          "saga.reason": "CARD_DECLINED",
          "saga.attempt": 1,
        },
      }),
      span({ startMs: 15, attributes: { "saga.id": "o2", "saga.step": "reserve" } }),
    ];
    const t = sagaTimeline("o1", spans);
    expect(t.steps.map((s) => [s.step, s.outcome, s.compensation])).toEqual([
      ["reserve", "ok", false],
      ["charge", "refused", false],
      ["release", "ok", true],
    ]);
    expect(t).toMatchObject({ sagaName: "order", status: "CANCELLED", startMs: 10 });
    expect(t.steps[1]?.reason).toBe("CARD_DECLINED");
    expect(t.traceIds).toHaveLength(2);
  });
});
