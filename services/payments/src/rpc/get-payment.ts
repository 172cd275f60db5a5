import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetPaymentRequest, GetPaymentResponseSchema } from "@weft/gen/shop/payments/v1/payments_pb.js";
import { isSettled } from "../domain/payment.ts";
import { findPayment } from "../store/payments.ts";
import type { PaymentsDeps } from "./deps.ts";
import { paymentNotFound } from "./errors.ts";
import { paymentMessage } from "./to-proto.ts";
import { validateGetPayment } from "./validate.ts";

/** GetPayment: the payment as it is now (refunds included). */
export async function getPayment(
  deps: PaymentsDeps,
  request: GetPaymentRequest,
): Promise<MessageInitShape<typeof GetPaymentResponseSchema>> {
  const id = validateGetPayment(request);
  const payment = await findPayment(deps.db, id);
  // A pending charge is not a payment yet; its id is handed out only once the provider decided.
  if (payment === undefined || !isSettled(payment)) throw paymentNotFound(id);
  return { payment: paymentMessage(payment) };
}
