// The ledger is append-only in the database itself: whatever code runs, its rows cannot be
// changed or removed. Checked through the running service's database and on a database made by
// the migrations alone, written to directly.
import { fileURLToPath } from "node:url";
import { createTestDatabase, openDatabase, type TestDatabase } from "@weft/mesh/data";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as schema from "../../src/store/schema.ts";
import { type RunningPayments, startPayments, TestMesh, unique } from "../support/payments.ts";

const mesh = new TestMesh();
let payments: RunningPayments;

beforeAll(async () => {
  payments = await startPayments(mesh);
});
afterAll(() => mesh.close());

const changes = [
  ["UPDATE", sql`update ledger_entries set amount_minor = 1`],
  ["DELETE", sql`delete from ledger_entries`],
  ["TRUNCATE", sql`truncate ledger_entries cascade`],
] as const;

/** The message of the error a statement failed with, wherever the driver nests it. */
async function refusal(run: Promise<unknown>): Promise<string> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  const cause = (error as Error).cause;
  return `${(error as Error).message} ${cause instanceof Error ? cause.message : ""}`;
}

describe("ledger_entries on PostgreSQL", () => {
  it.each(changes)("refuses %s", async (operation, statement) => {
    const orderId = unique("order");
    const { payment } = await payments.orders.charge({
      orderId,
      amount: { amountMinor: 700n, currency: "USD" },
      paymentMethod: "tok_visa",
      idempotencyKey: orderId,
    });
    await payments.orders.refund({
      paymentId: payment!.id,
      amount: { amountMinor: 200n, currency: "USD" },
      idempotencyKey: unique("r"),
    });
    const before = await payments.db.select().from(schema.ledgerEntries);
    expect(await refusal(payments.db.execute(statement))).toContain(
      `ledger_entries is append-only: ${operation} refused`,
    );
    expect(await payments.db.select().from(schema.ledgerEntries)).toEqual(before);
  });
});

describe("ledger_entries in a database made by the migrations alone", () => {
  let database: TestDatabase;
  let opened: Awaited<ReturnType<typeof openDatabase<typeof schema>>>;

  beforeAll(async () => {
    database = await createTestDatabase("payments_ledger");
    opened = await openDatabase({
      url: database.url,
      schema,
      migrationsFolder: fileURLToPath(new URL("../../drizzle", import.meta.url)),
    });
    const paymentId = "018f0000-0000-7000-8000-0000000000aa";
    await opened.db.insert(schema.payments).values({
      id: paymentId,
      orderId: "o-1",
      amountMinor: 500n,
      currency: "USD",
      outcome: "succeeded",
      idempotencyKey: "k-1",
      requestHash: "h",
    });
    await opened.db.insert(schema.ledgerEntries).values({
      id: "018f0000-0000-7000-8000-0000000000ab",
      paymentId,
      kind: "charge",
      amountMinor: 500n,
      currency: "USD",
    });
  }, 60_000);
  afterAll(async () => {
    await opened?.close();
    await database?.drop();
  });

  it.each(changes)("refuses %s", async (operation, statement) => {
    expect(await refusal(opened.db.execute(statement))).toContain(
      `ledger_entries is append-only: ${operation} refused`,
    );
    expect(await opened.db.select().from(schema.ledgerEntries)).toHaveLength(1);
  });
});
