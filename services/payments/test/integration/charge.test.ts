import { fromBinary } from "@bufbuild/protobuf";
import { PaymentFailedSchema, PaymentSucceededSchema } from "@weft/gen/shop/payments/v1/events_pb.js";
import { PaymentStatus } from "@weft/gen/shop/payments/v1/payments_pb.js";
import { PaymentServiceBinding } from "@weft/gen/shop/payments/v1/payments_weft.js";
import { Code, type RpcError } from "@weft/mesh";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatedProvider } from "../support/gated-provider.ts";
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
/** A second instance whose provider can hold charges at the provider until released. */
const racers = 8;
const gate = new GatedProvider();
let gated: RunningPayments;

beforeAll(async () => {
  [payments, gated] = await Promise.all([startPayments(mesh), startPayments(mesh, { provider: gate })]);
});
afterAll(() => mesh.close());

const usd = (amountMinor: bigint) => ({ amountMinor, currency: "USD" });

function chargeRequest(
  overrides: { orderId?: string; amountMinor?: bigint; paymentMethod?: string; key?: string } = {},
) {
  const orderId = overrides.orderId ?? unique("order");
  return {
    orderId,
    amount: usd(overrides.amountMinor ?? 1234n),
    paymentMethod: overrides.paymentMethod ?? "tok_visa",
    idempotencyKey: overrides.key ?? `${orderId}:charge`,
  };
}

describe("Charge", () => {
  it("takes the amount with tok_visa: one payment, one charge ledger entry, one PaymentSucceeded", async () => {
    const request = chargeRequest({ amountMinor: 4_999n });
    const { payment } = await payments.orders.charge(request);
    expect(payment).toMatchObject({
      orderId: request.orderId,
      amount: { amountMinor: 4_999n, currency: "USD" },
      refunded: { amountMinor: 0n, currency: "USD" },
      status: PaymentStatus.SUCCEEDED,
      failureReason: "",
    });
    const ledger = await payments.ledgerOf(payment!.id);
    expect(ledger.map((e) => [e.kind, e.amountMinor, e.currency])).toEqual([["charge", 4_999n, "USD"]]);
    const events = await payments.eventsAbout(payment!.id);
    expect(events.map((e) => e.type)).toEqual([PaymentSucceededSchema.typeName]);
    expect(fromBinary(PaymentSucceededSchema, events[0]!.payload)).toMatchObject({
      paymentId: payment!.id,
      orderId: request.orderId,
      amount: { amountMinor: 4_999n, currency: "USD" },
    });
    // The relay publishes it (the stream was declared at start).
    await expect
      .poll(async () => (await payments.eventsAbout(payment!.id))[0]?.publishedAt, { timeout: 10_000 })
      .toBeInstanceOf(Date);
    const { payment: read } = await payments.operator.getPayment({ id: payment!.id });
    expect(read).toEqual(payment);
  });

  it("answers a retry with the same key with the first payment and charges once", async () => {
    const request = chargeRequest();
    const first = await payments.orders.charge(request);
    const before = await payments.counts();
    const again = await payments.orders.charge(request);
    expect(again).toEqual(first);
    expect(await payments.counts()).toEqual(before);
    expect(await payments.ledgerOf(first.payment!.id)).toHaveLength(1);
    expect(await payments.eventsAbout(first.payment!.id)).toHaveLength(1);
  });

  it("charges once when identical requests race on one key", async () => {
    const request = chargeRequest();
    const before = await payments.counts();
    const answers = await Promise.all(Array.from({ length: 12 }, () => payments.orders.charge(request)));
    const ids = new Set(answers.map((a) => a.payment!.id));
    expect(ids.size).toBe(1);
    const [id] = ids;
    expect(await payments.ledgerOf(id!)).toHaveLength(1);
    expect(await payments.counts()).toEqual({
      ...before,
      payments: before.payments + 1,
      ledger: before.ledger + 1,
      outbox: before.outbox + 1,
    });
  });

  it("lets only the request holding the key reach the provider; racers wait for its outcome", async () => {
    for (const paymentMethod of ["tok_visa", "tok_decline"]) {
      const request = chargeRequest({ paymentMethod });
      gate.hold();
      const answers = Promise.allSettled(Array.from({ length: racers }, () => gated.orders.charge(request)));
      await expect.poll(() => gate.callsFor(request.idempotencyKey), { timeout: 5_000 }).toBe(1);
      // Everyone else is waiting on the claimed key, not at the provider.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(gate.callsFor(request.idempotencyKey)).toBe(1);
      gate.release();
      const settled = await answers;
      expect(gate.callsFor(request.idempotencyKey)).toBe(1);
      const paymentIds = new Set(
        settled.map((a) =>
          a.status === "fulfilled" ? a.value.payment!.id : infoOf(a.reason as RpcError, "payment_id"),
        ),
      );
      expect(paymentIds.size).toBe(1);
      const [paymentId] = paymentIds;
      expect(paymentId).toMatch(/^[0-9a-f-]{36}$/);
      expect(await gated.ledgerOf(paymentId!)).toHaveLength(paymentMethod === "tok_visa" ? 1 : 0);
      expect(await gated.eventsAbout(paymentId!)).toHaveLength(1);
    }
  });

  it("refuses the same key for another amount or order with FAILED_PRECONDITION IDEMPOTENCY_KEY_REUSED", async () => {
    const request = chargeRequest({ amountMinor: 1_000n });
    await payments.orders.charge(request);
    const before = await payments.counts();
    const otherAmount = await failureOf(payments.orders.charge({ ...request, amount: usd(1_001n) }));
    expectReason(otherAmount, Code.FAILED_PRECONDITION, "IDEMPOTENCY_KEY_REUSED");
    const otherOrder = await failureOf(payments.orders.charge({ ...request, orderId: unique("order") }));
    expectReason(otherOrder, Code.FAILED_PRECONDITION, "IDEMPOTENCY_KEY_REUSED");
    const otherCurrency = await failureOf(
      payments.orders.charge({ ...request, amount: { amountMinor: 1_000n, currency: "EUR" } }),
    );
    expectReason(otherCurrency, Code.FAILED_PRECONDITION, "IDEMPOTENCY_KEY_REUSED");
    expect(await payments.counts()).toEqual(before);
  });

  it("records a declined card as a FAILED payment and answers FAILED_PRECONDITION CARD_DECLINED, also on retry", async () => {
    const request = chargeRequest({ paymentMethod: "tok_decline" });
    const before = await payments.counts();
    const declined = await failureOf(payments.orders.charge(request));
    expectReason(declined, Code.FAILED_PRECONDITION, "CARD_DECLINED");
    const paymentId = infoOf(declined, "payment_id");
    expect(paymentId).toMatch(/^[0-9a-f-]{36}$/);
    // Recorded, with its event, and no money moved.
    expect(await payments.counts()).toEqual({ ...before, payments: before.payments + 1, outbox: before.outbox + 1 });
    const { payment } = await payments.operator.getPayment({ id: paymentId! });
    expect(payment).toMatchObject({
      status: PaymentStatus.FAILED,
      failureReason: "CARD_DECLINED",
      orderId: request.orderId,
    });
    const [event] = await payments.eventsAbout(paymentId!);
    expect(fromBinary(PaymentFailedSchema, event!.payload)).toMatchObject({
      paymentId,
      failureReason: "CARD_DECLINED",
    });

    // The same key is the same attempt: the same decline, not a new one.
    const again = await failureOf(payments.orders.charge(request));
    expectReason(again, Code.FAILED_PRECONDITION, "CARD_DECLINED");
    expect(infoOf(again, "payment_id")).toBe(paymentId);
    expect(await payments.counts()).toEqual({ ...before, payments: before.payments + 1, outbox: before.outbox + 1 });
  });

  it("answers an unknown payment id with NOT_FOUND", async () => {
    const missing = await failureOf(payments.operator.getPayment({ id: "018f0000-0000-7000-8000-000000000000" }));
    expectReason(missing, Code.NOT_FOUND, "PAYMENT_NOT_FOUND");
  });
});

describe("who may call payments", () => {
  it.each(["gateway", "catalog", "inventory", "notifications"])(
    "refuses %s with PERMISSION_DENIED and writes nothing",
    async (caller) => {
      const client = await mesh.client(caller, PaymentServiceBinding, payments.service.address);
      const before = await payments.counts();
      const { payment } = await payments.orders.charge(chargeRequest());
      const after = await payments.counts();
      expect((await failureOf(client.charge(chargeRequest()))).code).toBe(Code.PERMISSION_DENIED);
      expect((await failureOf(client.refund({ paymentId: payment!.id, idempotencyKey: unique("refund") }))).code).toBe(
        Code.PERMISSION_DENIED,
      );
      expect((await failureOf(client.getPayment({ id: payment!.id }))).code).toBe(Code.PERMISSION_DENIED);
      expect(after.payments).toBe(before.payments + 1);
      expect(await payments.counts()).toEqual(after);
    },
  );
});
