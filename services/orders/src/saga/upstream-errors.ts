// Classifies what an upstream call failed with into the saga's terms: a definitive refusal, or a
// transient failure, and whether that failure leaves it unknown if the call took effect.
import { Code, RpcError } from "@weft/mesh";
import type { StepResult } from "../domain/saga.ts";

/** Answers that settle the question: the upstream looked at the request and said no. */
const refusals = new Set<Code>([
  Code.FAILED_PRECONDITION,
  Code.INVALID_ARGUMENT,
  Code.NOT_FOUND,
  Code.ALREADY_EXISTS,
  Code.OUT_OF_RANGE,
]);

/** Failures after which the request may have been processed although no answer arrived. */
const possiblyApplied = new Set<Code>([
  Code.UNAVAILABLE,
  Code.DEADLINE_EXCEEDED,
  Code.CANCELLED,
  Code.UNKNOWN,
  Code.INTERNAL,
  Code.DATA_LOSS,
]);

export function classifyFailure(error: unknown): Extract<StepResult, { kind: "refused" | "transient" }> {
  if (!(error instanceof RpcError)) {
    return {
      kind: "transient",
      reason: "UNKNOWN",
      message: error instanceof Error ? error.message : String(error),
      ambiguous: true,
    };
  }
  if (refusals.has(error.code)) {
    return { kind: "refused", reason: error.reason ?? Code[error.code] ?? "REFUSED", message: error.message };
  }
  return {
    kind: "transient",
    reason: error.reason ?? Code[error.code] ?? "UNKNOWN",
    message: error.message,
    ambiguous: isAmbiguous(error),
  };
}

/**
 * An error the mesh raised locally (open breaker, full bulkhead, no time left) never left the
 * process: it has no transport cause. One the upstream handler raised on purpose carries
 * google.rpc details (ErrorInfo…) and means the request was refused, not half done. Anything
 * else on the wire (dropped connection, deadline) may or may not have been applied.
 */
function isAmbiguous(error: RpcError): boolean {
  if (!possiblyApplied.has(error.code)) return false;
  const sentOnTheWire = error.cause !== undefined && typeof error.cause === "object" && error.cause !== null;
  return sentOnTheWire && error.details.length === 0;
}
