// Runs the payments service for real (its own database on the test PostgreSQL, NATS, mTLS and
// the repository's istio/ policies) and calls it as a given workload.
import { ErrorInfoSchema } from "@weft/gen/google/rpc/error_details_pb.js";
import { PaymentServiceBinding, type PaymentServiceClient } from "@weft/gen/shop/payments/v1/payments_weft.js";
import { Code, RpcError } from "@weft/mesh";
import { outbox } from "@weft/mesh/events";
import { TestMesh } from "@weft/mesh/testing";
import { count, eq } from "drizzle-orm";
import { expect } from "vitest";
import { createPaymentsService, type PaymentsServiceOptions } from "../../src/service.ts";
import { ledgerEntries, payments, refunds } from "../../src/store/schema.ts";

export type RunningPayments = Awaited<ReturnType<typeof startPayments>>;

export async function startPayments(
  mesh: TestMesh,
  options: PaymentsServiceOptions & { env?: Record<string, string> } = {},
) {
  const { env, ...serviceOptions } = options;
  const service = await mesh.start(createPaymentsService(serviceOptions), env ? { env } : {});
  const orders: PaymentServiceClient = await mesh.client("orders", PaymentServiceBinding, service.address);
  // GetPayment is called by no service of the shop, so no policy admits anyone to it but the test's own probe.
  const operator: PaymentServiceClient = await mesh.operator(PaymentServiceBinding, service.address);
  const db = service.db;
  return {
    service,
    /** The client of the only workload the policy lets in (for Charge and Refund). */
    orders,
    /** The test's probe, for reading payments back with GetPayment. */
    operator,
    db,
    /** Row counts of every table a call could write to. */
    async counts() {
      const of = async (table: typeof payments | typeof refunds | typeof ledgerEntries | typeof outbox) =>
        (await db.select({ n: count() }).from(table))[0]?.n ?? 0;
      return {
        payments: await of(payments),
        refunds: await of(refunds),
        ledger: await of(ledgerEntries),
        outbox: await of(outbox),
      };
    },
    ledgerOf(paymentId: string) {
      return db.select().from(ledgerEntries).where(eq(ledgerEntries.paymentId, paymentId));
    },
    eventsAbout(paymentId: string) {
      return db.select().from(outbox).where(eq(outbox.subject, paymentId));
    },
  };
}

export { TestMesh };

/** The RpcError a call rejected with (fails the test if it resolved). */
export async function failureOf(call: Promise<unknown>): Promise<RpcError> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(RpcError);
  return outcome as RpcError;
}

/** Asserts the error is `code` with ErrorInfo `reason`. */
export function expectReason(error: RpcError, code: Code, reason: string): void {
  expect({ code: Code[error.code], reason: error.reason }).toEqual({ code: Code[code], reason });
}

/** A value of the error's ErrorInfo metadata, such as the `payment_id` of a declined charge. */
export function infoOf(error: RpcError, key: string): string | undefined {
  return error.findDetail(ErrorInfoSchema)?.metadata[key];
}

let sequence = 0;
/** A key (or order id) no other test in the run uses. */
export function unique(prefix: string): string {
  sequence += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${sequence}`;
}
