import type { CallOptions } from "@weft/mesh";

/** What an edge request carries to the upstream call it becomes. */
export interface ForwardedCall {
  authorization: string | undefined;
  requestId: string;
  /** The client's budget, clamped to the edge's limit. */
  timeoutMs: number;
  signal: AbortSignal;
}

/** The options of the upstream call: the caller's token and request id, its deadline and cancellation. */
export function upstreamOptions(call: ForwardedCall): CallOptions {
  const metadata: Record<string, string> = { "x-request-id": call.requestId };
  if (call.authorization) metadata.authorization = call.authorization;
  return { metadata, timeoutMs: Math.max(1, Math.floor(call.timeoutMs)), signal: call.signal };
}
