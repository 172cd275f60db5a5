import { currentCall } from "../rpc/call-store.ts";
import type { OutgoingCall } from "../rpc/client.ts";
import { Code, RpcError } from "../rpc/errors.ts";

/** Headers an incoming call passes on to the calls it makes: who the end user is, and the request id. */
export const propagatedHeaders = ["authorization", "x-request-id"] as const;

/**
 * Carries the incoming call's budget and identity into an outgoing call made while serving it:
 * the deadline becomes the smaller of the call's own and what remains of the incoming one
 * (whole milliseconds), and the caller's token and request id travel along. Returns the incoming
 * call's signal, so cancelling it cancels the outgoing call too.
 */
export function propagateIncoming(call: OutgoingCall): AbortSignal | undefined {
  const incoming = currentCall();
  if (incoming === undefined) return undefined;
  if (incoming.deadline !== undefined) {
    const now = Date.now();
    const remainingMs = Math.floor(incoming.deadline.getTime() - now);
    if (remainingMs <= 0) {
      throw new RpcError(Code.DEADLINE_EXCEEDED, `deadline exceeded before calling ${call.method.path}`);
    }
    const propagated = new Date(now + remainingMs);
    if (propagated < call.deadline) call.deadline = propagated;
  }
  for (const header of propagatedHeaders) {
    if (call.metadata.get(header).length > 0) continue;
    const value = header === "x-request-id" ? incoming.requestId : incoming.metadata.get(header)[0];
    if (typeof value === "string" && value !== "") call.metadata.set(header, value);
  }
  return incoming.signal;
}
