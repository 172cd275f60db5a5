// An authorization decision as the console keeps and shows it. Apart from the reader
// (decisions.ts, which imports the mesh's names), so the web UI's types do not reach the mesh.

export interface AuthzDecision {
  timeMs: number;
  decision: "allow" | "deny";
  /** The workload that decided (the callee): the span's service. */
  workload: string;
  /** SPIFFE id of the caller, "" when the peer had none. */
  caller: string;
  method: string;
  policy: string;
  /** -1 when no rule matched. */
  rule: number;
  reason: string;
  traceId: string;
  spanId: string;
}

/** The workload (service account) of a SPIFFE id or principal: `.../sa/orders` → `orders`. */
export function workloadOf(caller: string): string | undefined {
  const match = /\/ns\/[^/]+\/sa\/([^/]+)$/.exec(caller);
  return match?.[1];
}
