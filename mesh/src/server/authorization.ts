// The workload's istio/ AuthorizationPolicies enforced with Istio's semantics, at the call gate:
// each call's caller and method decided (once per pair: the policies never change while the
// server runs), a denied call answered exactly as an Istio sidecar would, and every decision
// reported as telemetry (every deny, sampled allows) on the call's server span.
import type { Span } from "@opentelemetry/api";
import { accessDeniedMessage, type PolicyEngine, type Workload } from "../policy/index.ts";
import { Code, RpcError } from "../rpc/errors.ts";
import type { AuthzOutcome, Logger } from "../telemetry/index.ts";

/** Where decisions are reported (authzTelemetry: span events). */
export type AuthzRecorder = (outcome: AuthzOutcome, span: Span | undefined) => void;

/** The call being decided, as the gate knows it. */
export interface CallToDecide {
  readonly principal: string | undefined;
  readonly requestId: string;
}

const peerIdentityMissing = "peer identity missing: mTLS with a mesh certificate is required";

/** A call's decision: what to report, and why the call may not proceed (undefined when it may). */
export interface Verdict {
  readonly outcome: AuthzOutcome;
  readonly refusal: RpcError | undefined;
}

/** The set of callers and methods is small and bounded by the mesh; this bounds it anyway. */
const maxDecided = 10_000;

export class Authorization {
  /** Decided (caller, method) pairs, by caller then method (no key to build per call). */
  readonly #decided = new Map<string, Map<string, Verdict>>();
  #size = 0;

  constructor(
    private readonly engine: PolicyEngine,
    private readonly workload: Workload,
    private readonly logger: Logger,
    private readonly record: AuthzRecorder,
  ) {}

  /** UNAUTHENTICATED without a verified peer, PERMISSION_DENIED when the policies deny the call. */
  check(call: CallToDecide, path: string): Verdict {
    const { principal } = call;
    if (principal === undefined) {
      // No policy could have let it in: reported as a deny all the same.
      return {
        outcome: { allowed: false, caller: undefined, method: path, reason: peerIdentityMissing },
        refusal: new RpcError(Code.UNAUTHENTICATED, peerIdentityMissing),
      };
    }
    const verdict = this.decided(principal, path);
    if (verdict.outcome.allowed) return verdict;
    return { outcome: verdict.outcome, refusal: new RpcError(Code.PERMISSION_DENIED, accessDeniedMessage) };
  }

  /** The pair's verdict, decided once: the policies never change while the server runs. */
  private decided(principal: string, path: string): Verdict {
    let byPath = this.#decided.get(principal);
    const known = byPath?.get(path);
    if (known !== undefined) return known;
    const decision = this.engine.decide(this.workload, { principal, path, method: "POST" });
    const verdict: Verdict = {
      outcome: {
        allowed: decision.allowed,
        caller: principal,
        method: path,
        policy: decision.policy,
        rule: decision.rule,
        reason: decision.reason,
      },
      refusal: undefined,
    };
    if (this.#size < maxDecided) {
      if (byPath === undefined) {
        byPath = new Map();
        this.#decided.set(principal, byPath);
      }
      byPath.set(path, verdict);
      this.#size++;
    }
    return verdict;
  }

  /**
   * Reports a decision on the call's server span: every deny, allows as the recorder samples them.
   * Run inside the span's context: the "rbac denied" line carries its trace and span ids, which is
   * how the console pairs the line with the span's event.
   */
  report(verdict: Verdict, call: CallToDecide, span: Span | undefined): void {
    const { outcome } = verdict;
    // A call without a recording span has nowhere to put an allow.
    if (verdict.refusal !== undefined || span?.isRecording()) this.record(outcome, span);
    if (outcome.allowed || verdict.refusal?.code !== Code.PERMISSION_DENIED) return;
    this.logger.info(
      { request_id: call.requestId, rpc: outcome.method, peer: outcome.caller, reason: outcome.reason },
      "rbac denied",
    );
  }
}
