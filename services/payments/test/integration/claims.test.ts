// Charge claims its idempotency key before it asks the provider: concurrent requests with one key
// reach the provider once, and a claim a crashed process left behind is resolved safely.
import { Code, type RpcError } from "@weft/mesh";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chargeFingerprint } from "../../src/domain/requests.ts";
import { FakeProvider } from "../../src/provider/fake-provider.ts";
import { payments as paymentsTable } from "../../src/store/schema.ts";
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
/** Claims trusted for 30 s: a request at the provider keeps its key for the whole test. */
const gate = new GatedProvider();
let steady: RunningPayments;
/** Claims trusted for 600 ms: long enough for a charge, short enough to watch one lapse. */
const quickGate = new GatedProvider();
const claimMs = 600;
let quick: RunningPayments;

beforeAll(async () => {
  [steady, quick] = await Promise.all([
    startPayments(mesh, { provider: gate }),
    startPayments(mesh, { provider: quickGate, env: { PAYMENTS_CHARGE_CLAIM_MS: String(claimMs) } }),
  ]);
});
afterAll(() => mesh.close());

function chargeRequest(paymentMethod = "tok_visa") {
  const orderId = unique("order");
  return {
    orderId,
    amount: { amountMinor: 4_200n, currency: "EUR" },
    paymentMethod,
    idempotencyKey: `${orderId}:charge`,
  };
}
type Request = ReturnType<typeof chargeRequest>;

/** The pending row a process leaves when it dies between claiming the key and recording the outcome. */
async function crashedClaim(on: RunningPayments, request: Request, expiresInMs: number): Promise<string> {
  const id = uuidv7();
  await on.db.insert(paymentsTable).values({
    id,
    orderId: request.orderId,
    amountMinor: request.amount.amountMinor,
    currency: request.amount.currency,
    outcome: "pending",
    idempotencyKey: request.idempotencyKey,
    requestHash: chargeFingerprint(request),
    claimExpiresAt: new Date(Date.now() + expiresInMs),
  });
  return id;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Charge claims the key before the provider", () => {
  it("lets two concurrent charges with one key reach the provider once", async () => {
    const request = chargeRequest();
    gate.hold();
    const first = steady.orders.charge(request);
    await expect.poll(() => gate.callsFor(request.idempotencyKey), { timeout: 5_000 }).toBe(1);
    const second = steady.orders.charge(request);
    await sleep(300);
    expect(gate.callsFor(request.idempotencyKey)).toBe(1);
    gate.release();
    const [a, b] = await Promise.all([first, second]);
    expect(b.payment!.id).toBe(a.payment!.id);
    expect(gate.callsFor(request.idempotencyKey)).toBe(1);
    expect(await steady.ledgerOf(a.payment!.id)).toHaveLength(1);
    expect(await steady.eventsAbout(a.payment!.id)).toHaveLength(1);
  });

  it("tells a request that ran out of time waiting ABORTED CHARGE_IN_PROGRESS; its retry gets the outcome", async () => {
    const request = chargeRequest();
    gate.hold();
    const first = steady.orders.charge(request);
    await expect.poll(() => gate.callsFor(request.idempotencyKey), { timeout: 5_000 }).toBe(1);
    const impatient = await failureOf(steady.orders.charge(request, { timeoutMs: 1_000 }));
    expectReason(impatient, Code.ABORTED, "CHARGE_IN_PROGRESS");
    gate.release();
    const { payment } = await first;
    const retried = await steady.orders.charge(request);
    expect(retried.payment!.id).toBe(payment!.id);
    expect(gate.callsFor(request.idempotencyKey)).toBe(1);
  });

  it("refuses another request under a held key at once, without waiting", async () => {
    const request = chargeRequest();
    gate.hold();
    const first = steady.orders.charge(request);
    await expect.poll(() => gate.callsFor(request.idempotencyKey), { timeout: 5_000 }).toBe(1);
    const other = await failureOf(steady.orders.charge({ ...request, amount: { amountMinor: 1n, currency: "EUR" } }));
    expectReason(other, Code.FAILED_PRECONDITION, "IDEMPOTENCY_KEY_REUSED");
    gate.release();
    await first;
  });

  it("hides a pending payment: GetPayment says NOT_FOUND until the provider decided", async () => {
    const request = chargeRequest();
    const id = await crashedClaim(steady, request, 60_000);
    expectReason(await failureOf(steady.operator.getPayment({ id })), Code.NOT_FOUND, "PAYMENT_NOT_FOUND");
  });
});

describe("a claim left behind by a crash", () => {
  it("is taken over once it lapsed: the provider is asked with the same key, the pending payment settles", async () => {
    for (const paymentMethod of ["tok_visa", "tok_decline"]) {
      const request = chargeRequest(paymentMethod);
      const pendingId = await crashedClaim(quick, request, -1_000);
      const outcome = await quick.orders.charge(request).then(
        (answer) => answer.payment!.id,
        (error: RpcError) => infoOf(error, "payment_id"),
      );
      expect(outcome).toBe(pendingId);
      expect(quickGate.calls.filter((c) => c.idempotencyKey === request.idempotencyKey)).toEqual([
        expect.objectContaining({ idempotencyKey: request.idempotencyKey, paymentMethod }),
      ]);
      expect(await quick.ledgerOf(pendingId)).toHaveLength(paymentMethod === "tok_visa" ? 1 : 0);
      expect(await quick.eventsAbout(pendingId)).toHaveLength(1);
    }
  });

  it("makes a retry wait while the claim is live, then take it over", async () => {
    const request = chargeRequest();
    const pendingId = await crashedClaim(quick, request, 400);
    const started = Date.now();
    const { payment } = await quick.orders.charge(request, { timeoutMs: 5_000 });
    expect(payment!.id).toBe(pendingId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(quickGate.callsFor(request.idempotencyKey)).toBe(1);
  });

  it("records one outcome when a slow holder and the request that took over both hear from the provider", async () => {
    const request = chargeRequest();
    const decisionsBefore = quickGate.inner.decisions;
    quickGate.hold();
    const slow = quick.orders.charge(request, { timeoutMs: 10_000 });
    await expect.poll(() => quickGate.callsFor(request.idempotencyKey), { timeout: 5_000 }).toBe(1);
    // The holder is still at the provider when its claim lapses; a retry takes over and asks too.
    const takeover = quick.orders.charge(request, { timeoutMs: 10_000 });
    await expect.poll(() => quickGate.callsFor(request.idempotencyKey), { timeout: 5_000 }).toBe(2);
    quickGate.release();
    const [a, b] = await Promise.all([slow, takeover]);
    expect(b.payment!.id).toBe(a.payment!.id);
    // The provider deduped the second ask by its idempotency key: one decision, one charge.
    expect(quickGate.inner.decisions - decisionsBefore).toBe(1);
    expect(await quick.ledgerOf(a.payment!.id)).toHaveLength(1);
    expect(await quick.eventsAbout(a.payment!.id)).toHaveLength(1);
  });
});

describe("the simulated provider", () => {
  it("answers a repeated idempotency key with its first decision instead of charging again", async () => {
    const provider = new FakeProvider({ flakyFailureRate: 0 });
    const ask = { paymentMethod: "tok_visa", amount: { amountMinor: 1n, currency: "EUR" }, idempotencyKey: "k" };
    expect(await provider.charge(ask)).toEqual({ kind: "approved" });
    expect(await provider.charge({ ...ask, paymentMethod: "tok_decline" })).toEqual({ kind: "approved" });
    expect(provider.decisions).toBe(1);
  });
});
