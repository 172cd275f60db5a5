// Request validation: every problem of a request is reported at once, in proto field names,
// before anything is read or written.
import type {
  ChargeRequest,
  GetPaymentRequest,
  Money as MoneyMessage,
  RefundRequest,
} from "@weft/gen/shop/payments/v1/payments_pb.js";
import { Violations } from "@weft/mesh";
import { isCurrencyCode, type Money, maxAmountMinor } from "../domain/money.ts";
import type { PaymentProvider } from "../domain/provider.ts";
import type { ChargeInput, RefundInput } from "../domain/requests.ts";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Printable ASCII without spaces: keys are opaque, but they end up in logs and indexes. */
const keyPattern = /^[\x21-\x7e]+$/;
/** Printable text, no control characters. */
const reasonPattern = /^[^\p{Cc}]+$/u;

function idempotencyKey(v: Violations, value: string): void {
  v.text("idempotency_key", value, {
    maxLength: 128,
    pattern: keyPattern,
    patternDescription: "printable ASCII without spaces",
  });
}

function paymentId(v: Violations, field: string, value: string): void {
  v.text(field, value, { maxLength: 36, pattern: uuidPattern, patternDescription: "a payment id (UUID)" });
}

/** Checks a Money field that must be set, positive and in a known currency. */
function money(v: Violations, field: string, value: MoneyMessage | undefined): Money | undefined {
  if (!v.present(field, value)) return undefined;
  const amountOk = v.number(`${field}.amount_minor`, value.amountMinor, { min: 1n, max: maxAmountMinor });
  let currencyOk = v.text(`${field}.currency`, value.currency, { maxLength: 3 });
  if (currencyOk && !isCurrencyCode(value.currency)) {
    v.add(`${field}.currency`, "must be an upper-case ISO 4217 code such as USD");
    currencyOk = false;
  }
  return amountOk && currencyOk ? { amountMinor: value.amountMinor, currency: value.currency } : undefined;
}

export function validateCharge(request: ChargeRequest, provider: PaymentProvider): ChargeInput {
  const v = new Violations();
  v.id("order_id", request.orderId);
  const amount = money(v, "amount", request.amount);
  if (v.text("payment_method", request.paymentMethod, { maxLength: 64 }) && !provider.accepts(request.paymentMethod)) {
    v.add("payment_method", "is not a payment method the provider accepts");
  }
  idempotencyKey(v, request.idempotencyKey);
  v.throwIfAny();
  return {
    orderId: request.orderId,
    amount: amount as Money,
    paymentMethod: request.paymentMethod,
    idempotencyKey: request.idempotencyKey,
  };
}

export function validateRefund(request: RefundRequest): RefundInput {
  const v = new Violations();
  paymentId(v, "payment_id", request.paymentId);
  // Unset means "everything not yet refunded"; set, it must be a real amount.
  const amount = request.amount === undefined ? undefined : money(v, "amount", request.amount);
  idempotencyKey(v, request.idempotencyKey);
  v.text("reason", request.reason, {
    required: false,
    maxLength: 128,
    pattern: reasonPattern,
    patternDescription: "printable text",
  });
  v.throwIfAny();
  return {
    paymentId: request.paymentId.toLowerCase(),
    amount,
    reason: request.reason,
    idempotencyKey: request.idempotencyKey,
  };
}

export function validateGetPayment(request: GetPaymentRequest): string {
  const v = new Violations();
  paymentId(v, "id", request.id);
  v.throwIfAny();
  return request.id.toLowerCase();
}
