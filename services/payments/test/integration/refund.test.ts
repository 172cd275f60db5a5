import { fromBinary } from "@bufbuild/protobuf";
import { PaymentRefundedSchema } from "@weft/gen/shop/payments/v1/events_pb.js";
import { PaymentStatus } from "@weft/gen/shop/payments/v1/payments_pb.js";
import { Code } from "@weft/mesh";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ledgerEntries, payments as paymentsTable } from "../../src/store/schema.ts";
import {
  expectReason,
  failureOf,
  infoOf,
  type RunningPayments,
  startPayments,
  TestMesh,
  unique,
} from "../support/payments.ts";

const mesh = new TestMesh();
let payments: RunningPayments;

beforeAll(async () => {
  payments = await startPayments(mesh);
});
afterAll(() => mesh.close());

async function charged(amountMinor: bigint, paymentMethod = "tok_visa") {
  const orderId = unique("order");
  const { payment } = await payments.orders.charge({
    orderId,
    amount: { amountMinor, currency: "USD" },
    paymentMethod,
    idempotencyKey: orderId,
  });
  return payment!;
}

/** The payment's refunded total must always be what its refund ledger entries add up to. */
async function expectLedgerConsistent(paymentId: string) {
  const [row] = await payments.db.select().from(paymentsTable).where(eq(paymentsTable.id, paymentId));
  const [sum] = await payments.db
    .select({ total: sql<bigint>`coalesce(sum(${ledgerEntries.amountMinor}), 0)::bigint`.mapWith(BigInt) })
    .from(ledgerEntries)
    .where(sql`${ledgerEntries.paymentId} = ${paymentId} and ${ledgerEntries.kind} = 'refund'`);
  expect(row?.refundedMinor).toBe(sum?.total);
  expect(row!.refundedMinor <= row!.amountMinor).toBe(true);
  return row!.refundedMinor;
}

describe("Refund", () => {
  it("refunds everything when no amount is given: REFUNDED, a refund ledger entry, PaymentRefunded", async () => {
    const payment = await charged(3_000n);
    const { refund, payment: after } = await payments.orders.refund({
      paymentId: payment.id,
      idempotencyKey: unique("refund"),
      reason: "ORDER_CANCELLED",
    });
    expect(refund).toMatchObject({
      paymentId: payment.id,
      amount: { amountMinor: 3_000n, currency: "USD" },
      reason: "ORDER_CANCELLED",
    });
    expect(after).toMatchObject({ status: PaymentStatus.REFUNDED, refunded: { amountMinor: 3_000n } });
    const ledger = await payments.ledgerOf(payment.id);
    expect(ledger.map((e) => [e.kind, e.amountMinor, e.refundId])).toEqual([
      ["charge", 3_000n, null],
      ["refund", 3_000n, refund!.id],
    ]);
    const refunded = (await payments.eventsAbout(payment.id)).filter((e) => e.type === PaymentRefundedSchema.typeName);
    expect(refunded).toHaveLength(1);
    expect(fromBinary(PaymentRefundedSchema, refunded[0]!.payload)).toMatchObject({
      paymentId: payment.id,
      orderId: payment.orderId,
      refundId: refund!.id,
      amount: { amountMinor: 3_000n, currency: "USD" },
      refunded: { amountMinor: 3_000n, currency: "USD" },
      status: PaymentStatus.REFUNDED,
      reason: "ORDER_CANCELLED",
    });
    expect(await expectLedgerConsistent(payment.id)).toBe(3_000n);
  });

  it("refunds in parts: PARTIALLY_REFUNDED, then REFUNDED when the rest is given back", async () => {
    const payment = await charged(1_000n);
    const first = await payments.orders.refund({
      paymentId: payment.id,
      amount: { amountMinor: 300n, currency: "USD" },
      idempotencyKey: unique("refund"),
    });
    expect(first.payment).toMatchObject({ status: PaymentStatus.PARTIALLY_REFUNDED, refunded: { amountMinor: 300n } });
    const second = await payments.orders.refund({
      paymentId: payment.id,
      amount: { amountMinor: 200n, currency: "USD" },
      idempotencyKey: unique("refund"),
    });
    expect(second.payment).toMatchObject({ status: PaymentStatus.PARTIALLY_REFUNDED, refunded: { amountMinor: 500n } });
    const rest = await payments.orders.refund({ paymentId: payment.id, idempotencyKey: unique("refund") });
    expect(rest.refund?.amount?.amountMinor).toBe(500n);
    expect(rest.payment).toMatchObject({ status: PaymentStatus.REFUNDED, refunded: { amountMinor: 1_000n } });
    expect((await payments.operator.getPayment({ id: payment.id })).payment?.status).toBe(PaymentStatus.REFUNDED);
    expect(await expectLedgerConsistent(payment.id)).toBe(1_000n);
  });

  it("refuses to refund more than remains with FAILED_PRECONDITION REFUND_EXCEEDS_PAYMENT, writing nothing", async () => {
    const payment = await charged(1_000n);
    await payments.orders.refund({
      paymentId: payment.id,
      amount: { amountMinor: 600n, currency: "USD" },
      idempotencyKey: unique("refund"),
    });
    const before = await payments.counts();
    const over = await failureOf(
      payments.orders.refund({
        paymentId: payment.id,
        amount: { amountMinor: 401n, currency: "USD" },
        idempotencyKey: unique("refund"),
      }),
    );
    expectReason(over, Code.FAILED_PRECONDITION, "REFUND_EXCEEDS_PAYMENT");
    expect(infoOf(over, "remaining_minor")).toBe("400");
    await payments.orders.refund({ paymentId: payment.id, idempotencyKey: unique("refund") });
    // Fully refunded: even "the rest" is more than remains.
    const nothingLeft = await failureOf(
      payments.orders.refund({ paymentId: payment.id, idempotencyKey: unique("refund") }),
    );
    expectReason(nothingLeft, Code.FAILED_PRECONDITION, "REFUND_EXCEEDS_PAYMENT");
    expect((await payments.counts()).refunds).toBe(before.refunds + 1);
    expect(await expectLedgerConsistent(payment.id)).toBe(1_000n);
  });

  it("refuses a refund in another currency with INVALID_ARGUMENT on amount.currency", async () => {
    const payment = await charged(1_000n);
    const before = await payments.counts();
    const error = await failureOf(
      payments.orders.refund({
        paymentId: payment.id,
        amount: { amountMinor: 100n, currency: "EUR" },
        idempotencyKey: unique("refund"),
      }),
    );
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.fieldViolations.map((v) => v.field)).toEqual(["amount.currency"]);
    expect(await payments.counts()).toEqual(before);
  });

  it("refuses to refund a declined payment with PAYMENT_NOT_REFUNDABLE", async () => {
    const declined = await failureOf(
      payments.orders.charge({
        orderId: "o-declined",
        amount: { amountMinor: 100n, currency: "USD" },
        paymentMethod: "tok_decline",
        idempotencyKey: unique("charge"),
      }),
    );
    const paymentId = infoOf(declined, "payment_id")!;
    const before = await payments.counts();
    const error = await failureOf(payments.orders.refund({ paymentId, idempotencyKey: unique("refund") }));
    expectReason(error, Code.FAILED_PRECONDITION, "PAYMENT_NOT_REFUNDABLE");
    expect(await payments.counts()).toEqual(before);
  });

  it("answers NOT_FOUND for an unknown payment", async () => {
    const error = await failureOf(
      payments.orders.refund({ paymentId: "018f0000-0000-7000-8000-000000000001", idempotencyKey: unique("refund") }),
    );
    expectReason(error, Code.NOT_FOUND, "PAYMENT_NOT_FOUND");
  });

  it("answers a retry with the same key with the first refund, as it was, and refunds once", async () => {
    const payment = await charged(1_000n);
    const request = {
      paymentId: payment.id,
      amount: { amountMinor: 250n, currency: "USD" },
      idempotencyKey: unique("refund"),
      reason: "X",
    };
    const first = await payments.orders.refund(request);
    // A later refund changes the payment, but the replay still answers the first result.
    await payments.orders.refund({ ...request, idempotencyKey: unique("refund") });
    const before = await payments.counts();
    expect(await payments.orders.refund(request)).toEqual(first);
    expect(await payments.counts()).toEqual(before);
    expect(await expectLedgerConsistent(payment.id)).toBe(500n);
  });

  it("refuses the same key for another amount or payment with FAILED_PRECONDITION IDEMPOTENCY_KEY_REUSED", async () => {
    const payment = await charged(1_000n);
    const other = await charged(1_000n);
    const key = unique("refund");
    await payments.orders.refund({
      paymentId: payment.id,
      amount: { amountMinor: 100n, currency: "USD" },
      idempotencyKey: key,
    });
    const before = await payments.counts();
    for (const request of [
      { paymentId: payment.id, amount: { amountMinor: 101n, currency: "USD" }, idempotencyKey: key },
      { paymentId: payment.id, idempotencyKey: key },
      { paymentId: other.id, amount: { amountMinor: 100n, currency: "USD" }, idempotencyKey: key },
    ]) {
      expectReason(
        await failureOf(payments.orders.refund(request)),
        Code.FAILED_PRECONDITION,
        "IDEMPOTENCY_KEY_REUSED",
      );
    }
    expect(await payments.counts()).toEqual(before);
  });

  it("refunds once when identical refund requests race on one key", async () => {
    const payment = await charged(1_000n);
    const request = {
      paymentId: payment.id,
      amount: { amountMinor: 400n, currency: "USD" },
      idempotencyKey: unique("refund"),
    };
    const answers = await Promise.all(Array.from({ length: 10 }, () => payments.orders.refund(request)));
    expect(new Set(answers.map((a) => a.refund!.id)).size).toBe(1);
    expect((await payments.ledgerOf(payment.id)).filter((e) => e.kind === "refund")).toHaveLength(1);
    expect(await expectLedgerConsistent(payment.id)).toBe(400n);
  });

  it("never refunds more than was charged when different refunds race", async () => {
    const payment = await charged(1_000n);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        payments.orders.refund({
          paymentId: payment.id,
          amount: { amountMinor: 300n, currency: "USD" },
          idempotencyKey: unique("refund"),
        }),
      ),
    );
    const made = results.filter((r) => r.status === "fulfilled");
    expect(made).toHaveLength(3);
    for (const refused of results.filter((r) => r.status === "rejected")) {
      expectReason((refused as PromiseRejectedResult).reason, Code.FAILED_PRECONDITION, "REFUND_EXCEEDS_PAYMENT");
    }
    expect(await expectLedgerConsistent(payment.id)).toBe(900n);
  });
});
