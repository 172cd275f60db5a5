// Authorization decisions as the console keeps them, read back from the span events the mesh
// emits (the contract: mesh/src/telemetry/authz.ts).

import { authzAttributes, authzEventName } from "@weft/mesh";
import type { SpanRecord } from "../otlp/model.ts";

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

export function decisionsOf(span: SpanRecord): AuthzDecision[] {
  const decisions: AuthzDecision[] = [];
  for (const event of span.events) {
    if (event.name !== authzEventName) continue;
    const a = event.attributes;
    const decision = a[authzAttributes.decision];
    if (decision !== "allow" && decision !== "deny") continue;
    decisions.push({
      timeMs: event.timeMs,
      decision,
      workload: span.service,
      caller: String(a[authzAttributes.caller] ?? ""),
      method: String(a[authzAttributes.method] ?? span.name),
      policy: String(a[authzAttributes.policy] ?? ""),
      rule: typeof a[authzAttributes.rule] === "number" ? (a[authzAttributes.rule] as number) : -1,
      reason: String(a[authzAttributes.reason] ?? ""),
      traceId: span.traceId,
      spanId: span.spanId,
    });
  }
  return decisions;
}

/** The workload (service account) of a SPIFFE id or principal: `.../sa/orders` → `orders`. */
export function workloadOf(caller: string): string | undefined {
  const match = /\/ns\/[^/]+\/sa\/([^/]+)$/.exec(caller);
  return match?.[1];
}
