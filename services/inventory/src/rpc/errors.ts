import { Code, errorWithReason, invalidArgument, RpcError } from "@weft/mesh";
import { InventoryError } from "../domain/errors.ts";

/** Maps the domain's refusals to gRPC statuses with stable reasons; everything else passes through. */
export function toRpcError(error: unknown): unknown {
  if (!(error instanceof InventoryError)) return error;
  const failure = error.failure;
  switch (failure.kind) {
    case "insufficient_stock":
      return errorWithReason(Code.FAILED_PRECONDITION, "INSUFFICIENT_STOCK", failure.message, {
        metadata: { product_id: failure.productId },
      });
    case "state":
      return errorWithReason(Code.FAILED_PRECONDITION, failure.reason, failure.message);
    case "not_found":
      return new RpcError(Code.NOT_FOUND, failure.message);
    case "key_reused":
      return invalidArgument([{ field: failure.field, description: failure.message }]);
  }
}

/** Runs a handler body, answering domain refusals with their statuses. */
export async function mapped<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw toRpcError(error);
  }
}
