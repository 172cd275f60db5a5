import { describe, expect, it } from "vitest";
import { matchesPattern, patternProblem } from "../../src/policy/string-match.ts";

describe("matchesPattern (Istio exact, prefix, suffix and presence matching)", () => {
  const cases: { pattern: string; value: string | undefined; matches: boolean }[] = [
    { pattern: "abc", value: "abc", matches: true },
    { pattern: "abc", value: "abcd", matches: false },
    { pattern: "abc", value: "ABC", matches: false },
    { pattern: "abc*", value: "abc", matches: true },
    { pattern: "abc*", value: "abcd", matches: true },
    { pattern: "abc*", value: "xabc", matches: false },
    { pattern: "*abc", value: "abc", matches: true },
    { pattern: "*abc", value: "xyzabc", matches: true },
    { pattern: "*abc", value: "abcx", matches: false },
    { pattern: "*", value: "anything", matches: true },
    { pattern: "*", value: "", matches: false },
    { pattern: "*", value: undefined, matches: false },
    { pattern: "abc*", value: undefined, matches: false },
  ];
  it.each(cases)("$pattern vs $value → $matches", ({ pattern, value, matches }) => {
    expect(matchesPattern(pattern, value)).toBe(matches);
  });
});

describe("patternProblem", () => {
  it.each(["abc", "abc*", "*abc", "*", "/shop.payments.v1.PaymentService/*"])("accepts %s", (pattern) => {
    expect(patternProblem(pattern)).toBeUndefined();
  });
  it.each(["", "a*c", "*abc*", "**", "/shop.*.v1/Get"])("rejects %j", (pattern) => {
    expect(patternProblem(pattern)).toBeTypeOf("string");
  });
});
