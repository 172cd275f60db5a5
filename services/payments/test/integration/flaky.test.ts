// tok_flaky: a transient provider failure is UNAVAILABLE and leaves nothing behind. The mesh
// client retries UNAVAILABLE for calls that carry an idempotency key (3 attempts), so each
// scenario fixes the provider's random source or rate to make every attempt's outcome known.
import { Code } from "@weft/mesh";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectReason, failureOf, type RunningPayments, startPayments, TestMesh, unique } from "../support/payments.ts";

const mesh = new TestMesh();
/** A random source that replays `rolls` in order and counts how often the provider asked. */
function scripted(rolls: number[]) {
  const source = { asked: 0, next: () => rolls[source.asked++ % rolls.length] ?? 0.99 };
  return source;
}
const alwaysRolls = scripted([0.5]);
const failsOnce = scripted([0.1, 0.9]);
let alwaysFails: RunningPayments;
let neverFails: RunningPayments;
let flakyOnce: RunningPayments;

beforeAll(async () => {
  [alwaysFails, neverFails, flakyOnce] = await Promise.all([
    startPayments(mesh, { env: { PAYMENTS_FLAKY_FAILURE_RATE: "1" }, random: alwaysRolls.next }),
    startPayments(mesh, { env: { PAYMENTS_FLAKY_FAILURE_RATE: "0" } }),
    // Rate 0.5 with rolls 0.1 then 0.9: the first attempt fails, the mesh's retry succeeds.
    startPayments(mesh, { env: { PAYMENTS_FLAKY_FAILURE_RATE: "0.5" }, random: failsOnce.next }),
  ]);
});
afterAll(() => mesh.close());

function flakyCharge() {
  const orderId = unique("order");
  return {
    orderId,
    amount: { amountMinor: 2_500n, currency: "EUR" },
    paymentMethod: "tok_flaky",
    idempotencyKey: orderId,
  };
}

describe("tok_flaky", () => {
  it("with rate 1 fails every attempt with UNAVAILABLE and writes nothing", async () => {
    const before = await alwaysFails.counts();
    const asked = alwaysRolls.asked;
    const error = await failureOf(alwaysFails.orders.charge(flakyCharge()));
    expectReason(error, Code.UNAVAILABLE, "PROVIDER_UNAVAILABLE");
    // The mesh client tried three times; each attempt reached the provider and failed.
    expect(alwaysRolls.asked - asked).toBe(3);
    expect(await alwaysFails.counts()).toEqual(before);
    expect(before).toEqual({ payments: 0, refunds: 0, ledger: 0, outbox: 0 });
  });

  it("with rate 0 succeeds", async () => {
    const { payment } = await neverFails.orders.charge(flakyCharge());
    expect(payment?.amount).toMatchObject({ amountMinor: 2_500n, currency: "EUR" });
    expect(await neverFails.ledgerOf(payment!.id)).toHaveLength(1);
  });

  it("fails transiently without a trace, so the retry with the same key charges once", async () => {
    const request = flakyCharge();
    const asked = failsOnce.asked;
    const { payment } = await flakyOnce.orders.charge(request);
    // Two provider attempts (the first failed transiently), one charge.
    expect(failsOnce.asked - asked).toBe(2);
    expect(await flakyOnce.counts()).toEqual({ payments: 1, refunds: 0, ledger: 1, outbox: 1 });
    // And the key now answers the recorded payment without asking the provider again.
    expect((await flakyOnce.orders.charge(request)).payment).toEqual(payment);
    expect(failsOnce.asked - asked).toBe(2);
  });
});
