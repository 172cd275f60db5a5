// Authorization decisions as the console keeps them, read back from the span events the mesh
// emits (see emit.ts for the contract).
import type { SpanRecord } from "../otlp/model.ts";
import { authzAttributes, authzEventName } from "./emit.ts";

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

/**
 * A deny from the mesh's "rbac denied" log line (what mesh/src/server/interceptors.ts writes
 * today: rpc, peer, reason, and the trace ids of the server span), so denies show up even before
 * the mesh emits decision events, and when tracing is off.
 */
export function decisionFromLog(record: {
  process: string;
  msg: string;
  timeMs: number;
  traceId: string | undefined;
  spanId: string | undefined;
  fields: Record<string, unknown>;
}): AuthzDecision | undefined {
  if (record.msg !== "rbac denied") return undefined;
  const { rpc, peer, reason, service } = record.fields;
  const text = typeof reason === "string" ? reason : "";
  const policy = /DENY policy (\S+)/.exec(text)?.[1] ?? "";
  const caller =
    typeof peer === "string" && peer !== "" ? (peer.startsWith("spiffe://") ? peer : `spiffe://${peer}`) : "";
  return {
    timeMs: record.timeMs,
    decision: "deny",
    workload: typeof service === "string" ? service : record.process,
    caller,
    method: typeof rpc === "string" ? rpc : "",
    policy,
    rule: -1,
    reason: text,
    traceId: record.traceId ?? "",
    spanId: record.spanId ?? "",
  };
}
