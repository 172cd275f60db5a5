// Decides requests the way Istio's sidecar does: DENY policies first, then ALLOW policies,
// and a workload that any ALLOW policy applies to refuses what no ALLOW rule matches.

import { ruleMatches } from "./rule-match.ts";
import type { AuthorizationPolicy, Decision, PolicyRequest, Workload } from "./types.ts";

/** What Istio's Envoy answers on a denied request; the server uses it for PERMISSION_DENIED. */
export const accessDeniedMessage = "RBAC: access denied";

export interface PolicyEngineOptions {
  /** Istio's root namespace: policies there apply to every namespace. Default "istio-system". */
  rootNamespace?: string;
}

function policyId(policy: AuthorizationPolicy): string {
  return `${policy.namespace}/${policy.name}`;
}

/** Index in `spec.rules` of the first rule of `policy` that matches, -1 when none does. */
function matchingRule(policy: AuthorizationPolicy, request: PolicyRequest): number {
  return policy.rules.findIndex((rule) => ruleMatches(rule, request));
}

export class PolicyEngine {
  private readonly policies: readonly AuthorizationPolicy[];
  private readonly rootNamespace: string;

  constructor(policies: readonly AuthorizationPolicy[], options: PolicyEngineOptions = {}) {
    this.rootNamespace = options.rootNamespace ?? "istio-system";
    // Kubernetes keeps one object per namespace/name, so a duplicate means two files fight
    // over the same policy and the cluster would enforce whichever was applied last.
    const seen = new Map<string, string>();
    for (const policy of policies) {
      const id = policyId(policy);
      const earlier = seen.get(id);
      if (earlier !== undefined) {
        throw new Error(`AuthorizationPolicy ${id} is defined twice: in ${earlier} and in ${policy.source}`);
      }
      seen.set(id, policy.source);
    }
    this.policies = [...policies];
  }

  /** The policies that apply to a workload: right namespace (or root) and every selector label present. */
  applicablePolicies(workload: Workload): AuthorizationPolicy[] {
    return this.policies.filter(
      (policy) =>
        (policy.namespace === this.rootNamespace || policy.namespace === workload.namespace) &&
        Object.entries(policy.selector ?? {}).every(([key, value]) => workload.labels[key] === value),
    );
  }

  decide(workload: Workload, request: PolicyRequest): Decision {
    const applicable = this.applicablePolicies(workload);

    for (const policy of applicable) {
      if (policy.action !== "DENY") continue;
      const rule = matchingRule(policy, request);
      if (rule >= 0) {
        const id = policyId(policy);
        return { allowed: false, reason: `denied by DENY policy ${id}`, policy: id, rule };
      }
    }

    const allowPolicies = applicable.filter((policy) => policy.action === "ALLOW");
    if (allowPolicies.length === 0)
      return { allowed: true, reason: "allowed: no ALLOW policy applies to the workload" };

    for (const policy of allowPolicies) {
      const rule = matchingRule(policy, request);
      if (rule >= 0) {
        const id = policyId(policy);
        return { allowed: true, reason: `allowed by ALLOW policy ${id}`, policy: id, rule };
      }
    }

    return {
      allowed: false,
      reason: `denied: no rule of the ALLOW policies ${allowPolicies.map(policyId).join(", ")} matched`,
    };
  }
}
