// Pricing and page tokens: pure rules, no I/O.
import { PageTokens } from "@weft/mesh";
import { describe, expect, it } from "vitest";
import { orderPageTokens, pageSizeOf } from "../src/domain/page-token.ts";
import { priceOrder } from "../src/domain/pricing.ts";

const product = (id: string, priceMinor: bigint, currency = "USD", active = true) => ({
  id,
  priceMinor,
  currency,
  active,
});

describe("priceOrder", () => {
  it("snapshots unit prices and sums quantity × price", () => {
    const priced = priceOrder(
      [
        { productId: "a", quantity: 2 },
        { productId: "b", quantity: 3 },
      ],
      [product("a", 250n), product("b", 1_000n)],
    );
    expect(priced).toEqual({
      kind: "priced",
      currency: "USD",
      totalMinor: 3_500n,
      lines: [
        { productId: "a", quantity: 2, unitPriceMinor: 250n },
        { productId: "b", quantity: 3, unitPriceMinor: 1_000n },
      ],
    });
  });

  it("names unknown and inactive products by field", () => {
    const priced = priceOrder(
      [
        { productId: "a", quantity: 1 },
        { productId: "b", quantity: 1 },
      ],
      [undefined, product("b", 1n, "USD", false)],
    );
    expect(priced.kind === "invalid" && priced.violations.map((v) => v.field)).toEqual([
      "items[0].product_id",
      "items[1].product_id",
    ]);
  });

  it("refuses mixed currencies and totals beyond int64", () => {
    expect(
      priceOrder(
        [
          { productId: "a", quantity: 1 },
          { productId: "b", quantity: 1 },
        ],
        [product("a", 1n, "USD"), product("b", 1n, "EUR")],
      ).kind,
    ).toBe("mixed_currencies");
    expect(priceOrder([{ productId: "a", quantity: 1000 }], [product("a", 1n << 62n)]).kind).toBe("invalid");
  });
});

describe("page tokens", () => {
  it("round-trip, and refuse anything not issued or out of range", () => {
    const key = "k".repeat(32);
    const pages = PageTokens.withKey(key).codec(orderPageTokens);
    expect(pages.decode(pages.encode("0190-abc"))).toBe("0190-abc");
    expect(() => pages.decode("garbage!")).toThrow(/page_token/);
    // An unsigned token of the old format is refused.
    expect(() => pages.decode(Buffer.from('{"v":1,"after":"x"}').toString("base64url"))).toThrow(/page_token/);
    // Signed with the right key but a wrong version or a value no id can be.
    for (const wire of [{ v: 2, after: "x" }, { v: 1, after: "1; drop table" }, []]) {
      const forged = PageTokens.withKey(key).codec({ ...orderPageTokens, write: () => wire });
      expect(() => pages.decode(forged.encode("x"))).toThrow(/page_token/);
    }
  });

  it("default 50, clamp 200", () => {
    expect(pageSizeOf(0)).toBe(50);
    expect(pageSizeOf(10)).toBe(10);
    expect(pageSizeOf(5_000)).toBe(200);
  });
});
