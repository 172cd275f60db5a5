import { describe, expect, it } from "vitest";
import { isCurrencyCode } from "../../src/domain/money.ts";
import { type ChargeInput, chargeFingerprint, type RefundInput, refundFingerprint } from "../../src/domain/requests.ts";
import { paymentsSettingsFromEnv } from "../../src/settings.ts";

const charge: ChargeInput = {
  orderId: "o-1",
  amount: { amountMinor: 100n, currency: "USD" },
  paymentMethod: "tok_visa",
  idempotencyKey: "k-1",
};
const refund: RefundInput = { paymentId: "p-1", amount: undefined, reason: "ORDER_CANCELLED", idempotencyKey: "r-1" };

describe("idempotency fingerprints", () => {
  it("match for the same request, whatever the key", () => {
    expect(chargeFingerprint({ ...charge })).toBe(chargeFingerprint(charge));
    expect(chargeFingerprint({ ...charge, idempotencyKey: "other" })).toBe(chargeFingerprint(charge));
    expect(refundFingerprint({ ...refund, idempotencyKey: "other" })).toBe(refundFingerprint(refund));
  });

  it("differ when any part of the request differs", () => {
    const charges = [
      charge,
      { ...charge, orderId: "o-2" },
      { ...charge, amount: { amountMinor: 101n, currency: "USD" } },
      { ...charge, amount: { amountMinor: 100n, currency: "EUR" } },
      { ...charge, paymentMethod: "tok_flaky" },
    ];
    expect(new Set(charges.map(chargeFingerprint)).size).toBe(charges.length);
    const refunds = [
      refund,
      { ...refund, paymentId: "p-2" },
      { ...refund, amount: { amountMinor: 100n, currency: "USD" } },
      { ...refund, reason: "" },
    ];
    expect(new Set(refunds.map(refundFingerprint)).size).toBe(refunds.length);
  });

  it("keep fields apart (no ambiguity from concatenation)", () => {
    expect(chargeFingerprint({ ...charge, orderId: "o-1tok", paymentMethod: "_visa" })).not.toBe(
      chargeFingerprint({ ...charge, orderId: "o-1", paymentMethod: "tok_visa" }),
    );
  });

  it("do not contain the payment method in clear", () => {
    expect(chargeFingerprint(charge)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("isCurrencyCode", () => {
  it("accepts upper-case ISO 4217 codes only", () => {
    expect(["USD", "EUR", "JPY"].every(isCurrencyCode)).toBe(true);
    expect(["usd", "US", "USDD", "QQQ", ""].some(isCurrencyCode)).toBe(false);
  });
});

describe("PAYMENTS_FLAKY_FAILURE_RATE", () => {
  it("defaults to 0.5 and accepts 0 to 1", () => {
    expect(paymentsSettingsFromEnv({}).flakyFailureRate).toBe(0.5);
    expect(paymentsSettingsFromEnv({ PAYMENTS_FLAKY_FAILURE_RATE: "0" }).flakyFailureRate).toBe(0);
    expect(paymentsSettingsFromEnv({ PAYMENTS_FLAKY_FAILURE_RATE: "0.25" }).flakyFailureRate).toBe(0.25);
    expect(paymentsSettingsFromEnv({ PAYMENTS_FLAKY_FAILURE_RATE: "1" }).flakyFailureRate).toBe(1);
  });

  it.each(["1.5", "-0.1", "half", "NaN"])("refuses %s naming the variable", (raw) => {
    expect(() => paymentsSettingsFromEnv({ PAYMENTS_FLAKY_FAILURE_RATE: raw })).toThrow(/PAYMENTS_FLAKY_FAILURE_RATE/);
  });
});
