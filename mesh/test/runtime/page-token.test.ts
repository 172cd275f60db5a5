import { describe, expect, it } from "vitest";
import { Code, cursorValue, type PageTokenFormat, PageTokens, RpcError, Violations } from "../../src/index.ts";

interface Cursor {
  at: Date;
  id: string;
}
const format: PageTokenFormat<Cursor> = {
  scope: "test.v1.Things/ListThings",
  write: (c) => ({ t: c.at.getTime(), id: c.id }),
  read(wire) {
    const { t, id } = (wire ?? {}) as Record<string, unknown>;
    const at = cursorValue.time(t);
    const checkedId = cursorValue.id(id);
    return at && checkedId ? { at, id: checkedId } : undefined;
  },
};
const key = "a page token key of at least 32 chars";
const cursor = { at: new Date("2031-05-06T07:08:09.010Z"), id: "thing-42" };

function refusal(run: () => unknown): RpcError {
  try {
    run();
  } catch (error) {
    if (error instanceof RpcError) return error;
    throw error;
  }
  throw new Error("expected INVALID_ARGUMENT");
}

describe("PageTokens", () => {
  const codec = PageTokens.withKey(key).codec(format);

  it("round-trips a cursor; another instance with the same key (a replica) reads it too", () => {
    const token = codec.encode(cursor);
    expect(codec.decode(token)).toEqual(cursor);
    expect(PageTokens.withKey(key).codec(format).decode(token)).toEqual(cursor);
    expect(codec.decode("")).toBeUndefined();
  });

  it.each([
    ["flipped payload", (t: string) => `B${t.slice(1)}`],
    ["flipped signature", (t: string) => `${t.slice(0, -1)}${t.endsWith("A") ? "B" : "A"}`],
    ["no signature", (t: string) => t.split(".")[0]!],
    [
      "another payload under this signature",
      (t: string) => `${Buffer.from('{"t":1,"id":"x"}').toString("base64url")}.${t.split(".")[1]}`,
    ],
    ["a huge token", (t: string) => `${"A".repeat(5000)}${t}`],
    ["garbage", () => "not a token!"],
  ])("refuses a token with %s: INVALID_ARGUMENT on page_token", (_name, mangle) => {
    const error = refusal(() => codec.decode(mangle(codec.encode(cursor))));
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.fieldViolations.map((v) => v.field)).toEqual(["page_token"]);
  });

  it("refuses a token made with another key or for another list", () => {
    const token = PageTokens.withKey(`${key}!`).codec(format).encode(cursor);
    expect(() => codec.decode(token)).toThrow(RpcError);
    const other = PageTokens.withKey(key)
      .codec({ ...format, scope: "test.v1.Things/ListOthers" })
      .encode(cursor);
    expect(() => codec.decode(other)).toThrow(RpcError);
  });

  it("range-checks what a signed token carries (a leaked key cannot reach the database with junk)", () => {
    const forge = (wire: Record<string, unknown>) =>
      PageTokens.withKey(key)
        .codec({ ...format, write: () => wire as never })
        .encode(cursor);
    for (const wire of [
      { t: 8.64e15 + 1, id: "x" },
      { t: -1, id: "x" },
      { t: 1.5, id: "x" },
      { t: 1, id: "a b" },
    ]) {
      expect(() => codec.decode(forge(wire))).toThrow(/page_token/);
    }
  });

  it("adds the problem to Violations instead of throwing when given them", () => {
    const violations = new Violations();
    expect(codec.decode("nope", violations)).toBeUndefined();
    expect(violations.any).toBe(true);
  });

  it("refuses a short key; an ephemeral key is valid only for its own instance and warns once", () => {
    expect(() => PageTokens.withKey("short")).toThrow(RangeError);
    let warnings = 0;
    const ephemeral = PageTokens.ephemeral(() => warnings++);
    const mine = ephemeral.codec(format);
    ephemeral.codec(format);
    expect(warnings).toBe(1);
    expect(mine.decode(mine.encode(cursor))).toEqual(cursor);
    expect(() => PageTokens.ephemeral().codec(format).decode(mine.encode(cursor))).toThrow(RpcError);
  });
});

describe("cursorValue", () => {
  it("accepts times from 1970 to the end of year 9999 only", () => {
    expect(cursorValue.time(0)).toEqual(new Date(0));
    expect(cursorValue.time(Date.UTC(9999, 11, 31, 23, 59, 59, 999))).toBeInstanceOf(Date);
    expect(cursorValue.time(Date.UTC(10000, 0, 1))).toBeUndefined();
    expect(cursorValue.time("1")).toBeUndefined();
  });

  it("accepts ids, text and flags within their rules", () => {
    expect(cursorValue.id("a-b_c")).toBe("a-b_c");
    expect(cursorValue.id("")).toBeUndefined();
    expect(cursorValue.id("x".repeat(65))).toBeUndefined();
    expect(cursorValue.text("", 10)).toBe("");
    expect(cursorValue.text("a\u0000", 10)).toBeUndefined();
    expect(cursorValue.flag(1)).toBe(true);
    expect(cursorValue.flag(true)).toBeUndefined();
  });
});
