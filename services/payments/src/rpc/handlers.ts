import type { PaymentServiceHandlers } from "@weft/gen/shop/payments/v1/payments_weft.js";
import { charge } from "./charge.ts";
import type { PaymentsDeps } from "./deps.ts";
import { getPayment } from "./get-payment.ts";
import { refund } from "./refund.ts";

/**
 * PaymentService. Who may call it (only the orders workload) is the mesh's business: it enforces
 * istio/authz/payments.yaml before a handler runs.
 */
export function createPaymentHandlers(deps: PaymentsDeps): PaymentServiceHandlers {
  return {
    charge: (request, context) => charge(deps, request, context),
    refund: (request) => refund(deps, request),
    getPayment: (request) => getPayment(deps, request),
  };
}
