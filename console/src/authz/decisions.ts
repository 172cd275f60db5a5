// Authorization decisions read back from the span events the mesh
// emits (the contract: mesh/src/telemetry/authz.ts).

import { authzAttributes, authzEventName } from "@weft/mesh";
import type { SpanRecord } from "../otlp/model.ts";
import type { AuthzDecision } from "./decision.ts";

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
