import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decideTestCharge, isTestToken, testTokens } from "../../src/domain/test-tokens.ts";
import { FakeProvider } from "../../src/provider/fake-provider.ts";

const roll = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe("decideTestCharge", () => {
  it("approves tok_visa and declines tok_decline with CARD_DECLINED, whatever the roll and rate", () => {
    fc.assert(
      fc.property(roll, roll, (r, rate) => {
        expect(decideTestCharge(testTokens.visa, () => r, rate)).toEqual({ kind: "approved" });
        expect(decideTestCharge(testTokens.decline, () => r, rate)).toEqual({
          kind: "declined",
          reason: "CARD_DECLINED",
        });
      }),
    );
  });

  it("fails tok_flaky transiently exactly when the roll falls below the rate", () => {
    expect(decideTestCharge(testTokens.flaky, () => 0.29, 0.3)).toEqual({ kind: "unavailable" });
    expect(decideTestCharge(testTokens.flaky, () => 0.3, 0.3)).toEqual({ kind: "approved" });
  });

  it("never fails tok_flaky at rate 0 and always does at rate 1", () => {
    fc.assert(
      fc.property(roll, (r) => {
        expect(decideTestCharge(testTokens.flaky, () => r, 0).kind).toBe("approved");
        expect(decideTestCharge(testTokens.flaky, () => r, 1).kind).toBe("unavailable");
      }),
    );
  });

  it("knows exactly the three test tokens", () => {
    expect(["tok_visa", "tok_decline", "tok_flaky"].every(isTestToken)).toBe(true);
    for (const other of ["", "tok_mastercard", "TOK_VISA", "tok_visa ", "4242424242424242"]) {
      expect(isTestToken(other)).toBe(false);
    }
  });
});

describe("FakeProvider", () => {
  let keys = 0;
  // A fresh key per charge: the provider answers a repeated key with its first decision.
  const charge = (paymentMethod: string) => ({
    paymentMethod,
    amount: { amountMinor: 100n, currency: "USD" },
    idempotencyKey: `k-${++keys}`,
  });

  it("draws one number from its random source per flaky charge, and none for the others", async () => {
    const rolls = [0.1, 0.9];
    let drawn = 0;
    const provider = new FakeProvider({ flakyFailureRate: 0.5, random: () => rolls[drawn++] ?? 0 });
    expect(await provider.charge(charge("tok_visa"))).toEqual({ kind: "approved" });
    expect(await provider.charge(charge("tok_flaky"))).toEqual({ kind: "unavailable" });
    expect(await provider.charge(charge("tok_flaky"))).toEqual({ kind: "approved" });
    expect(drawn).toBe(2);
  });

  it("accepts only the test tokens", () => {
    const provider = new FakeProvider({ flakyFailureRate: 0.5 });
    expect(provider.accepts("tok_flaky")).toBe(true);
    expect(provider.accepts("tok_amex")).toBe(false);
  });
});
