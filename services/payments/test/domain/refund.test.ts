import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type PaymentBalance, statusOf } from "../../src/domain/payment.ts";
import { planRefund } from "../../src/domain/refund.ts";

const paid = (amountMinor: bigint, refundedMinor = 0n): PaymentBalance & { readonly outcome: "succeeded" } => ({
  outcome: "succeeded",
  amountMinor,
  currency: "USD",
  refundedMinor,
});
const usd = (amountMinor: bigint) => ({ amountMinor, currency: "USD" });

describe("planRefund", () => {
  it("refunds everything not yet refunded when no amount is given", () => {
    expect(planRefund(paid(1_000n, 300n), undefined)).toEqual({
      ok: true,
      plan: { amountMinor: 700n, refundedAfterMinor: 1_000n, statusAfter: "REFUNDED" },
    });
  });

  it("refunds part, leaving the payment PARTIALLY_REFUNDED", () => {
    expect(planRefund(paid(1_000n), usd(250n))).toEqual({
      ok: true,
      plan: { amountMinor: 250n, refundedAfterMinor: 250n, statusAfter: "PARTIALLY_REFUNDED" },
    });
  });

  it("refunds exactly what remains", () => {
    expect(planRefund(paid(1_000n, 999n), usd(1n))).toMatchObject({ ok: true, plan: { statusAfter: "REFUNDED" } });
  });

  it("refuses more than remains, and anything once fully refunded", () => {
    expect(planRefund(paid(1_000n, 600n), usd(401n))).toEqual({
      ok: false,
      refusal: { kind: "exceeds_payment", requestedMinor: 401n, remainingMinor: 400n },
    });
    expect(planRefund(paid(1_000n, 1_000n), undefined)).toEqual({
      ok: false,
      refusal: { kind: "exceeds_payment", requestedMinor: 0n, remainingMinor: 0n },
    });
  });

  it("refuses another currency", () => {
    expect(planRefund(paid(1_000n), { amountMinor: 1n, currency: "EUR" })).toEqual({
      ok: false,
      refusal: { kind: "currency_mismatch", paymentCurrency: "USD" },
    });
  });

  it("refuses a failed payment whatever is asked", () => {
    const failed: PaymentBalance = { outcome: "failed", amountMinor: 1_000n, currency: "USD", refundedMinor: 0n };
    expect(planRefund(failed, undefined)).toEqual({ ok: false, refusal: { kind: "not_refundable" } });
    expect(planRefund(failed, usd(1n))).toEqual({ ok: false, refusal: { kind: "not_refundable" } });
  });

  it("never lets a sequence of refunds add up to more than was charged", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 1_000_000n }),
        fc.array(fc.option(fc.bigInt({ min: 1n, max: 1_000_000n }), { nil: undefined }), { maxLength: 20 }),
        (charged, requests) => {
          let refunded = 0n;
          for (const requested of requests) {
            const decision = planRefund(paid(charged, refunded), requested === undefined ? undefined : usd(requested));
            const remaining = charged - refunded;
            if (decision.ok) {
              expect(decision.plan.amountMinor).toBe(requested ?? remaining);
              expect(decision.plan.amountMinor <= remaining).toBe(true);
              refunded = decision.plan.refundedAfterMinor;
              expect(decision.plan.statusAfter).toBe(statusOf(paid(charged, refunded)));
            } else {
              expect(decision.refusal.kind).toBe("exceeds_payment");
              expect(remaining === 0n || (requested ?? 0n) > remaining).toBe(true);
            }
            expect(refunded <= charged).toBe(true);
          }
        },
      ),
    );
  });
});

describe("statusOf", () => {
  it("derives the status from the outcome and the refunded total", () => {
    expect(statusOf(paid(100n))).toBe("SUCCEEDED");
    expect(statusOf(paid(100n, 1n))).toBe("PARTIALLY_REFUNDED");
    expect(statusOf(paid(100n, 100n))).toBe("REFUNDED");
    expect(statusOf({ ...paid(100n), outcome: "failed" })).toBe("FAILED");
  });
});
