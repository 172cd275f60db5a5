import { context as otelContext, trace } from "@opentelemetry/api";
import type { Workload } from "../policy/index.ts";
import { accessDeniedMessage, type PolicyEngine } from "../policy/index.ts";
import type { CallContext } from "../rpc/binding.ts";
import { Code, RpcError } from "../rpc/errors.ts";
import { codeOf, type ServerInterceptor } from "../rpc/implement.ts";
import { isServerFailure } from "../rpc/status-classes.ts";
import {
  type AuthzOutcome,
  authzTelemetry,
  endRpcSpan,
  extractTraceContext,
  type Logger,
  type RpcMetrics,
  startRpcSpan,
} from "../telemetry/index.ts";

/** Where the enforcer reports its decisions (authzTelemetry: span events). */
export type AuthzRecorder = (outcome: AuthzOutcome) => void;

/**
 * The outermost interceptor: a server span continuing the caller's trace, RED metrics, and one
 * access-log line per call with its request id — also for calls the inner ones refuse.
 */
export function observeCalls(logger: Logger, metrics: RpcMetrics): ServerInterceptor {
  return async (call, next) => {
    const span = startRpcSpan("server", call.method, extractTraceContext(call.metadata));
    metrics.started("server", call.method);
    const started = performance.now();
    let failure: unknown;
    try {
      await otelContext.with(trace.setSpan(otelContext.active(), span), next);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      const code = codeOf(failure);
      const seconds = (performance.now() - started) / 1000;
      endRpcSpan(span, code, failure);
      metrics.observe("server", call.method, code, seconds);
      logCall(logger, call, code, failure, seconds, span.spanContext());
    }
  };
}

function logCall(
  logger: Logger,
  call: CallContext,
  code: Code,
  failure: unknown,
  seconds: number,
  spanContext: { traceId: string; spanId: string },
) {
  // The status table decides, as for spans: a server failure (an error span) is a warning; a
  // refused request is routine and never above info, however many an attacker sends.
  const level = code === Code.OK ? "debug" : isServerFailure(code) ? "warn" : "info";
  // Successful calls log at debug: skip building the line on the hot path when that is off.
  if (!logger.isLevelEnabled(level)) return;
  const line = {
    request_id: call.requestId,
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    rpc: call.method.path,
    code: Code[code],
    duration_ms: Math.round(seconds * 1000 * 100) / 100,
    peer: call.principal ?? call.peerAddress,
    reason: failure instanceof RpcError ? failure.reason : undefined,
  };
  logger[level](line, code === Code.OK ? "rpc" : level === "warn" ? "rpc failed" : "rpc refused");
}

const peerIdentityMissing = "peer identity missing: mTLS with a mesh certificate is required";

/**
 * Refuses calls whose peer has no verified identity (mesh and istio modes), recording the refusal
 * as an authorization decision: no policy could have let it in.
 */
export function requirePeerIdentity(record: AuthzRecorder = authzTelemetry()): ServerInterceptor {
  return async (call, next) => {
    if (call.principal === undefined) {
      record({ allowed: false, caller: undefined, method: call.method.path, reason: peerIdentityMissing });
      throw new RpcError(Code.UNAUTHENTICATED, peerIdentityMissing);
    }
    return next();
  };
}

/**
 * Enforces the istio/ AuthorizationPolicies for this workload with Istio's semantics, answering
 * a denied call exactly as an Istio sidecar would.
 */
export function authorizeByPolicy(
  engine: PolicyEngine,
  workload: Workload,
  logger: Logger,
  record: AuthzRecorder = authzTelemetry(),
): ServerInterceptor {
  // Policies are loaded once and never change while the server runs, so each (caller, method)
  // is decided once. The set of callers and methods is small and bounded by the mesh.
  const decisions = new Map<string, ReturnType<PolicyEngine["decide"]>>();
  const decide = (principal: string | undefined, path: string) => {
    const key = `${principal ?? ""}\u0000${path}`;
    let decision = decisions.get(key);
    if (decision === undefined) {
      decision = engine.decide(workload, { principal, path, method: "POST" });
      if (decisions.size < 10_000) decisions.set(key, decision);
    }
    return decision;
  };
  return async (call, next) => {
    const decision = decide(call.principal, call.method.path);
    // Every deny and a sample of allows, as events on the server span that observeCalls made active.
    record({
      allowed: decision.allowed,
      caller: call.principal,
      method: call.method.path,
      policy: decision.policy,
      rule: decision.rule,
      reason: decision.reason,
    });
    if (!decision.allowed) {
      logger.info(
        { request_id: call.requestId, rpc: call.method.path, peer: call.principal, reason: decision.reason },
        "rbac denied",
      );
      throw new RpcError(Code.PERMISSION_DENIED, accessDeniedMessage);
    }
    return next();
  };
}
