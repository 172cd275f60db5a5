import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetPaymentRequest, GetPaymentResponseSchema } from "@weft/gen/shop/payments/v1/payments_pb.js";
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
  if (payment === undefined) throw paymentNotFound(id);
  return { payment: paymentMessage(payment) };
}
