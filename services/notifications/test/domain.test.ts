import { type CursorWire, PageTokens } from "@weft/mesh";
import { describe, expect, it } from "vitest";
import { formatAmount } from "../src/domain/money.ts";
import { type CustomerEvent, eventProblem, notificationFor } from "../src/domain/notification.ts";
import { notificationPageTokens, pageSizeOf } from "../src/domain/page.ts";

const order = "0192f0c4-8d2e-7b1a-9c3d-2e4f6a8b0c1d";
const user = "0192f0c4-0000-7000-8000-000000000001";
const total = { amountMinor: 4_999n, currency: "EUR" };

describe("notification text", () => {
  const cases: Array<[CustomerEvent, { kind: string; title: string; body: string }]> = [
    [
      { kind: "order-confirmed", orderId: order, userId: user, total },
      {
        kind: "ORDER_CONFIRMED",
        title: "Order confirmed",
        body: `Your order ${order} is confirmed. You were charged €49.99.`,
      },
    ],
    [
      { kind: "order-rejected", orderId: order, userId: user, total, reason: "INSUFFICIENT_STOCK" },
      {
        kind: "ORDER_REJECTED",
        title: "Order rejected",
        body: `We could not complete your order ${order}: some of the items are out of stock. You were not charged.`,
      },
    ],
    [
      { kind: "order-rejected", orderId: order, userId: user, total, reason: "CARD_DECLINED" },
      {
        kind: "ORDER_REJECTED",
        title: "Order rejected",
        body: `We could not complete your order ${order}: your card was declined. You were not charged.`,
      },
    ],
    [
      { kind: "order-rejected", orderId: order, userId: user, total, reason: "SOMETHING_NEW" },
      {
        kind: "ORDER_REJECTED",
        title: "Order rejected",
        body: `We could not complete your order ${order}: it could not be completed. You were not charged.`,
      },
    ],
    [
      { kind: "order-cancelled", orderId: order, userId: user, total, reason: "CUSTOMER_REQUEST", refunded: true },
      {
        kind: "ORDER_CANCELLED",
        title: "Order cancelled",
        body: `Your order ${order} was cancelled as you asked. Your payment of €49.99 is being refunded.`,
      },
    ],
    [
      { kind: "order-cancelled", orderId: order, userId: user, total, reason: "RESERVATION_EXPIRED", refunded: false },
      {
        kind: "ORDER_CANCELLED",
        title: "Order cancelled",
        body: `Your order ${order} was cancelled. You were not charged.`,
      },
    ],
    [
      { kind: "order-placed", orderId: order, userId: user, total },
      {
        kind: "ORDER_PLACED",
        title: "Order received",
        body: `We received your order ${order} for €49.99 and are processing it.`,
      },
    ],
    [
      { kind: "signed-up", userId: user, displayName: "Ann" },
      { kind: "WELCOME", title: "Welcome to Weft", body: "Hi Ann, your account is ready." },
    ],
  ];

  for (const [event, expected] of cases) {
    const reason = "reason" in event ? ` (${event.reason})` : "";
    it(`${event.kind}${reason} → ${expected.title}`, () => {
      const draft = notificationFor(event);
      expect(draft).toEqual({ ...expected, userId: user, orderId: event.kind === "signed-up" ? undefined : order });
    });
  }

  it("refuses events that name no user or no order", () => {
    expect(eventProblem({ kind: "order-confirmed", orderId: order, userId: "", total })).toMatch(/user_id/);
    expect(eventProblem({ kind: "order-confirmed", orderId: "", userId: user, total })).toMatch(/order_id/);
    expect(eventProblem({ kind: "signed-up", userId: user, displayName: "" })).toBeUndefined();
  });
});

describe("amounts", () => {
  it.each([
    [{ amountMinor: 4_999n, currency: "EUR" }, "€49.99"],
    [{ amountMinor: 5n, currency: "USD" }, "$0.05"],
    [{ amountMinor: 1_500n, currency: "JPY" }, "¥1,500"],
    [{ amountMinor: 1_234n, currency: "BHD" }, "BHD 1.234"],
    // Beyond 2^53: exact, not rounded through a float.
    [{ amountMinor: 123_456_789_012_345_678n, currency: "USD" }, "$1,234,567,890,123,456.78"],
    [{ amountMinor: 100n, currency: "nope" }, "100 minor units of nope"],
  ])("%# is %s", (amount, text) => {
    expect(formatAmount(amount).replace(/\u00a0/g, " ")).toBe(text);
  });
});

describe("paging", () => {
  it("defaults to 50, clamps to 200 and refuses negative sizes", () => {
    expect(pageSizeOf(0)).toBe(50);
    expect(pageSizeOf(7)).toBe(7);
    expect(pageSizeOf(5_000)).toBe(200);
    expect(pageSizeOf(-1)).toBeUndefined();
  });

  const key = "k".repeat(32);
  const pages = PageTokens.withKey(key).codec(notificationPageTokens);
  const signed = (wire: CursorWire) =>
    PageTokens.withKey(key)
      .codec({ ...notificationPageTokens, write: () => wire })
      .encode({ createdAt: new Date(0), id: order });

  it("round-trips a cursor through an opaque token", () => {
    const cursor = { createdAt: new Date("2030-01-02T03:04:05.678Z"), id: order };
    const token = pages.encode(cursor);
    expect(token).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(pages.decode(token)).toEqual(cursor);
  });

  it.each([
    ["garbage", "not a token!"],
    ["an unsigned cursor", Buffer.from(JSON.stringify({ t: 1, id: order })).toString("base64url")],
    ["a huge token", "A".repeat(10_000)],
    ["a signed cursor of the wrong shape", signed({ t: "x", id: order })],
    ["a signed cursor with a bad id", signed({ t: 1, id: "1; drop table" })],
    ["a signed cursor past year 9999", signed({ t: 8.64e15, id: order })],
  ])("refuses %s", (_, token) => {
    expect(() => pages.decode(token)).toThrow(/page_token/);
  });
});
