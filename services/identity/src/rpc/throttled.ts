import { create } from "@bufbuild/protobuf";
import { ErrorInfoSchema, RetryInfoSchema } from "@weft/gen/google/rpc/error_details_pb.js";
import { Code, RpcError } from "@weft/mesh";
import type { ThrottleKind } from "../store/attempt-throttles.ts";

const reasons: Record<ThrottleKind, { reason: string; what: string }> = {
  login: { reason: "LOGIN_THROTTLED", what: "failed logins for this account" },
  sign_up: { reason: "SIGN_UP_THROTTLED", what: "sign-ups for this email" },
};

/**
 * RESOURCE_EXHAUSTED for an attempt refused by the backoff, with a google.rpc.RetryInfo saying
 * when to come back (the edge turns it into 429 and Retry-After) and a stable ErrorInfo reason.
 */
export function throttled(kind: ThrottleKind, retryAfterMs: number): RpcError {
  const { reason, what } = reasons[kind];
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const wholeMs = Math.max(1, Math.ceil(retryAfterMs));
  return new RpcError(Code.RESOURCE_EXHAUSTED, `too many ${what}; retry in ${seconds} s`, {
    details: [
      create(ErrorInfoSchema, { reason, domain: "weft.dev", metadata: { retry_after_seconds: String(seconds) } }),
      create(RetryInfoSchema, {
        retryDelay: { seconds: BigInt(Math.floor(wholeMs / 1000)), nanos: (wholeMs % 1000) * 1_000_000 },
      }),
    ],
  });
}
