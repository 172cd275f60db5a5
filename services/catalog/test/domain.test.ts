import { type CursorWire, PageTokens } from "@weft/mesh";
import { describe, expect, it } from "vitest";
import { supersedes } from "../src/domain/availability.ts";
import { priceProblems } from "../src/domain/money.ts";
import { productPageTokens } from "../src/domain/page-token.ts";
import { newProductFields, productProblems, updatableFields } from "../src/domain/product.ts";
import { containsPattern, effectivePageSize } from "../src/domain/search.ts";
import { applyUpdate, parseUpdateMask } from "../src/domain/update-mask.ts";

describe("page tokens", () => {
  const pages = PageTokens.ephemeral().codec(productPageTokens);
  const cursor = {
    createdAtMs: 1_763_000_000_123,
    id: "0193a5b0-7e1c-7000-8000-000000000001",
    query: "Tea % cup",
    includeInactive: true,
  };
  const signed = (wire: CursorWire) =>
    PageTokens.withKey("k".repeat(32))
      .codec({ ...productPageTokens, write: () => wire })
      .encode(cursor);

  it("round-trip a cursor through an opaque signed token", () => {
    const token = pages.encode(cursor);
    expect(token).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(pages.decode(token)).toEqual(cursor);
  });

  it.each([
    ["a time past year 9999 (new Date() of it is invalid)", { t: 8.64e15 + 1, i: "a", q: "", a: 0 }],
    ["a negative time", { t: -1, i: "a", q: "", a: 0 }],
    ["an id that is not an id", { t: 1, i: "1; drop table", q: "", a: 0 }],
    ["a query with a NUL", { t: 1, i: "a", q: "\u0000", a: 0 }],
    ["a flag that is not 0 or 1", { t: 1, i: "a", q: "", a: 2 }],
    ["a JSON array", [1, 2]],
  ])("read refuses a cursor with %s, even when signed", (_name, wire) => {
    const codec = PageTokens.withKey("k".repeat(32)).codec(productPageTokens);
    expect(() => codec.decode(signed(wire))).toThrow(/page_token/);
  });
});

describe("money", () => {
  it("accepts a positive amount in an ISO currency", () => {
    expect(priceProblems("product.price", { amountMinor: 1234n, currency: "USD" })).toEqual([]);
  });

  it.each([
    [undefined, ["product.price"]],
    [{ amountMinor: 0n, currency: "USD" }, ["product.price.amount_minor"]],
    [{ amountMinor: -5n, currency: "usd" }, ["product.price.amount_minor", "product.price.currency"]],
    [{ amountMinor: 10n ** 15n, currency: "EURO" }, ["product.price.amount_minor", "product.price.currency"]],
    [{ amountMinor: 1n, currency: "" }, ["product.price.currency"]],
  ])("refuses %o naming %o", (money, fields) => {
    expect(priceProblems("product.price", money).map((p) => p.field)).toEqual(fields);
  });
});

describe("products", () => {
  const input = {
    name: "Teapot",
    description: "Cast iron",
    price: { amountMinor: 2500n, currency: "EUR" },
    active: undefined,
  };

  it("defaults active to true on create, so a draft must say false", () => {
    expect(newProductFields(input).active).toBe(true);
    expect(newProductFields({ ...input, active: false }).active).toBe(false);
  });

  it("checks only the fields asked for", () => {
    const bad = { name: " ", description: "x".repeat(6000), price: undefined, active: undefined };
    expect(productProblems(bad, updatableFields).map((p) => p.field)).toEqual([
      "product.name",
      "product.description",
      "product.price",
    ]);
    expect(productProblems(bad, ["active"])).toEqual([]);
  });
});

describe("update masks", () => {
  const current = {
    name: "Teapot",
    description: "Cast iron",
    price: { amountMinor: 2500n, currency: "EUR" },
    active: true,
  };

  it("means every updatable field when empty", () => {
    expect(parseUpdateMask([])).toEqual({ fields: ["name", "description", "price", "active"] });
  });

  it("refuses output-only and unknown paths", () => {
    const parsed = parseUpdateMask(["name", "available", "colour"]);
    expect("problems" in parsed && parsed.problems.map((p) => p.description)).toEqual([
      "available is output only",
      '"colour" is not an updatable field',
    ]);
  });

  it("applies only masked fields and reports only real changes", () => {
    const input = {
      name: "Kettle",
      description: "changed too",
      price: { amountMinor: 2500n, currency: "EUR" },
      active: false,
    };
    const { next, changed } = applyUpdate(current, input, ["name", "price"]);
    expect(next).toEqual({ ...current, name: "Kettle" });
    expect(changed).toEqual(["name"]); // the price is the same value
  });

  it("leaves active alone when the input does not set it", () => {
    const input = { ...current, active: undefined };
    expect(applyUpdate(current, input, ["active"])).toEqual({ next: current, changed: [] });
    expect(applyUpdate(current, { ...input, active: false }, ["active"]).changed).toEqual(["active"]);
  });
});

describe("search and paging", () => {
  it("escapes LIKE wildcards so they match literally", () => {
    expect(containsPattern("50%_off\\")).toBe("%50\\%\\_off\\\\%");
    expect(containsPattern("tea")).toBe("%tea%");
  });

  it("defaults the page size to 50 and clamps at 200", () => {
    expect(effectivePageSize(0)).toBe(50);
    expect(effectivePageSize(3)).toBe(3);
    expect(effectivePageSize(5000)).toBe(200);
  });
});

describe("availability replica", () => {
  it("takes an update only if its version is newer than the one held", () => {
    const update = { productId: "p", available: 3n, version: 5n };
    expect(supersedes(update, undefined)).toBe(true);
    expect(supersedes(update, 4n)).toBe(true);
    expect(supersedes(update, 5n)).toBe(false);
    expect(supersedes(update, 9n)).toBe(false);
  });
});
