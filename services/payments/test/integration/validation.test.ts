// Bad input to every RPC: INVALID_ARGUMENT listing each bad field (proto names), and nothing
// written — not a payment, not a ledger entry, not an event.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  ChargeRequestSchema,
  GetPaymentRequestSchema,
  RefundRequestSchema,
} from "@weft/gen/shop/payments/v1/payments_pb.js";
import { Code } from "@weft/mesh";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failureOf, type RunningPayments, startPayments, TestMesh } from "../support/payments.ts";

const mesh = new TestMesh();
let payments: RunningPayments;
let paymentId: string;

beforeAll(async () => {
  payments = await startPayments(mesh);
  const { payment } = await payments.orders.charge({
    orderId: "o-valid",
    amount: { amountMinor: 1_000n, currency: "USD" },
    paymentMethod: "tok_visa",
    idempotencyKey: "o-valid",
  });
  paymentId = payment!.id;
});
afterAll(() => mesh.close());

const huge = "x".repeat(10_000);
const usd = (amountMinor: bigint) => ({ amountMinor, currency: "USD" });
const validCharge = { orderId: "o-1", amount: usd(100n), paymentMethod: "tok_visa", idempotencyKey: "k-1" };

const chargeCases: Array<[string, MessageInitShape<typeof ChargeRequestSchema>, string[]]> = [
  ["nothing set", {}, ["amount", "idempotency_key", "order_id", "payment_method"]],
  ["zero amount", { ...validCharge, amount: usd(0n) }, ["amount.amount_minor"]],
  ["negative amount", { ...validCharge, amount: usd(-5n) }, ["amount.amount_minor"]],
  ["absurd amount", { ...validCharge, amount: usd(9_000_000_000_000_000_000n) }, ["amount.amount_minor"]],
  ["missing currency", { ...validCharge, amount: { amountMinor: 100n } }, ["amount.currency"]],
  ["lower-case currency", { ...validCharge, amount: { amountMinor: 100n, currency: "usd" } }, ["amount.currency"]],
  ["unknown currency", { ...validCharge, amount: { amountMinor: 100n, currency: "QQQ" } }, ["amount.currency"]],
  ["long currency", { ...validCharge, amount: { amountMinor: 100n, currency: huge } }, ["amount.currency"]],
  ["unknown payment method", { ...validCharge, paymentMethod: "tok_mastercard" }, ["payment_method"]],
  [
    "huge strings",
    { ...validCharge, orderId: huge, paymentMethod: huge, idempotencyKey: huge },
    ["idempotency_key", "order_id", "payment_method"],
  ],
  ["order id with spaces", { ...validCharge, orderId: "o 1" }, ["order_id"]],
  ["key with control characters", { ...validCharge, idempotencyKey: "k\n1" }, ["idempotency_key"]],
];

const refundCases: Array<[string, () => MessageInitShape<typeof RefundRequestSchema>, string[]]> = [
  ["nothing set", () => ({}), ["idempotency_key", "payment_id"]],
  ["payment id not a UUID", () => ({ paymentId: "pay-1", idempotencyKey: "r-1" }), ["payment_id"]],
  ["huge payment id", () => ({ paymentId: huge, idempotencyKey: "r-1" }), ["payment_id"]],
  ["zero amount", () => ({ paymentId, amount: usd(0n), idempotencyKey: "r-1" }), ["amount.amount_minor"]],
  ["negative amount", () => ({ paymentId, amount: usd(-1n), idempotencyKey: "r-1" }), ["amount.amount_minor"]],
  [
    "bad currency",
    () => ({ paymentId, amount: { amountMinor: 1n, currency: "US" } }),
    ["amount.currency", "idempotency_key"],
  ],
  ["huge reason and key", () => ({ paymentId, idempotencyKey: huge, reason: huge }), ["idempotency_key", "reason"]],
  ["reason with control characters", () => ({ paymentId, idempotencyKey: "r-1", reason: "A\u0000B" }), ["reason"]],
];

const getCases: Array<[string, MessageInitShape<typeof GetPaymentRequestSchema>, string[]]> = [
  ["nothing set", {}, ["id"]],
  ["not a UUID", { id: "' or 1=1 --" }, ["id"]],
  ["huge id", { id: huge }, ["id"]],
];

async function expectRefused(call: () => Promise<unknown>, fields: string[]) {
  const before = await payments.counts();
  const error = await failureOf(call());
  expect(Code[error.code]).toBe("INVALID_ARGUMENT");
  expect([...new Set(error.fieldViolations.map((v) => v.field))].sort()).toEqual(fields);
  expect(await payments.counts()).toEqual(before);
}

describe("bad input is INVALID_ARGUMENT with field violations, and writes nothing", () => {
  it.each(chargeCases)("Charge: %s", (_, request, fields) =>
    expectRefused(() => payments.orders.charge(request), fields),
  );
  it.each(refundCases)("Refund: %s", (_, request, fields) =>
    expectRefused(() => payments.orders.refund(request()), fields),
  );
  it.each(getCases)("GetPayment: %s", (_, request, fields) =>
    expectRefused(() => payments.operator.getPayment(request), fields),
  );

  it("left the valid payment untouched", async () => {
    expect(await payments.counts()).toEqual({ payments: 1, refunds: 0, ledger: 1, outbox: 1 });
  });
});
