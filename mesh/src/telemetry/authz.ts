// The mesh's authorization decisions as telemetry: one span event per decision on the server span
// of the call that was decided. The enforcer (server/authorization.ts) calls it; the development
// console reads the same names back (it imports them from @weft/mesh).
//
//   event name   authz.decision
//   authz.decision  "allow" | "deny"
//   authz.caller    SPIFFE id of the verified peer ("spiffe://cluster.local/ns/shop/sa/gateway"), "" if none
//   authz.method    the gRPC path decided ("/shop.payments.v1.PaymentService/Charge")
//   authz.policy    "<namespace>/<name>" of the AuthorizationPolicy that decided, "" when none did
//                   (default deny of a workload with ALLOW policies, or no policy applies)
//   authz.rule      index of the matching rule in that policy's spec.rules, -1 when none matched
//   authz.reason    the engine's sentence, for people
//
// Every deny is recorded; allows are sampled (the first of each caller and method, then one in
// `allowSampleEvery`), so a busy mesh does not double its span volume while the console still
// sees who talks to whom.
import { type Span, trace } from "@opentelemetry/api";

export const authzEventName = "authz.decision";

export const authzAttributes = {
  decision: "authz.decision",
  caller: "authz.caller",
  method: "authz.method",
  policy: "authz.policy",
  rule: "authz.rule",
  reason: "authz.reason",
} as const;

export interface AuthzOutcome {
  allowed: boolean;
  /** The verified peer, as a principal (`cluster.local/ns/shop/sa/gateway`) or a SPIFFE id; undefined when none. */
  caller: string | undefined;
  /** The gRPC path. */
  method: string;
  /** `<namespace>/<name>` of the deciding policy, when one decided. */
  policy?: string;
  /** Index of the deciding rule in that policy, when a rule matched. */
  rule?: number;
  reason: string;
}

export interface AuthzTelemetryOptions {
  /** After the first allow of a caller and method, record one in this many. 1: every allow; 0: none. */
  allowSampleEvery?: number;
}

/**
 * A recorder for one server: call it for every decision, with the call's server span (by default
 * the active one). Allows are counted per outcome object: the enforcer hands the same one for every
 * call of a (caller, method) pair (it decides each pair once), so sampling costs no key per call.
 */
export function authzTelemetry(
  options: AuthzTelemetryOptions = {},
): (outcome: AuthzOutcome, span?: Span | undefined) => void {
  const every = options.allowSampleEvery ?? 100;
  const allows = new WeakMap<AuthzOutcome, number>();
  return (outcome, span = trace.getActiveSpan()) => {
    if (outcome.allowed) {
      if (every <= 0) return;
      const seen = allows.get(outcome) ?? 0;
      allows.set(outcome, seen + 1);
      if (seen % every !== 0) return;
    }
    if (span === undefined || !span.isRecording()) return;
    span.addEvent(authzEventName, {
      [authzAttributes.decision]: outcome.allowed ? "allow" : "deny",
      [authzAttributes.caller]: spiffeIdOf(outcome.caller),
      [authzAttributes.method]: outcome.method,
      [authzAttributes.policy]: outcome.policy ?? "",
      [authzAttributes.rule]: outcome.rule ?? -1,
      [authzAttributes.reason]: outcome.reason,
    });
  };
}

function spiffeIdOf(caller: string | undefined): string {
  if (caller === undefined || caller === "") return "";
  return caller.startsWith("spiffe://") ? caller : `spiffe://${caller}`;
}
