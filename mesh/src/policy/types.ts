// The typed model of Istio AuthorizationPolicies as the local mesh understands them, and the
// request/decision shapes the engine works with. Only the subset the local mesh can enforce
// faithfully is representable; the parser rejects everything else.

/** The workload a request is addressed to, as Istio sees it: its namespace and pod labels. */
export interface Workload {
  namespace: string;
  labels: Readonly<Record<string, string>>;
}

export interface PolicyRequest {
  /** Verified peer principal, e.g. "cluster.local/ns/example/sa/billing"; undefined when unauthenticated. */
  principal: string | undefined;
  /** gRPC path, e.g. "/example.ledger.v1.LedgerService/Post". */
  path: string;
  /** HTTP method; gRPC is always "POST". */
  method: string;
}

export interface Decision {
  allowed: boolean;
  /** Which policy (namespace/name) and action decided, or why nothing matched — for logs. */
  reason: string;
  /**
   * `<namespace>/<name>` of the policy that decided; undefined when none did (no ALLOW policy
   * applies, or the default deny of a workload whose ALLOW policies all missed).
   */
  policy?: string;
  /** Index of the deciding rule in that policy's `spec.rules`; undefined with `policy`. */
  rule?: number;
}

/** CUSTOM and AUDIT exist in Istio but are refused by the parser. */
export type PolicyAction = "ALLOW" | "DENY";

/** Who sent the request. Absent fields do not constrain; present ones must all match. */
export interface Source {
  principals?: readonly string[];
  notPrincipals?: readonly string[];
  namespaces?: readonly string[];
  notNamespaces?: readonly string[];
}

/** What the request does. Absent fields do not constrain; present ones must all match. */
export interface Operation {
  paths?: readonly string[];
  notPaths?: readonly string[];
  methods?: readonly string[];
  notMethods?: readonly string[];
}

/** One rule: undefined `from`/`to` means "any source"/"any operation", as in Istio. */
export interface Rule {
  from: readonly Source[] | undefined;
  to: readonly Operation[] | undefined;
}

export interface AuthorizationPolicy {
  name: string;
  namespace: string;
  action: PolicyAction;
  /** matchLabels of the selector; undefined selects every workload in scope. */
  selector: Readonly<Record<string, string>> | undefined;
  rules: readonly Rule[];
  /** Where the policy came from (a file path), for error messages and audit logs. */
  source: string;
}
