// Local enforcement of Istio AuthorizationPolicies: the same YAML from istio/ that the sidecars
// enforce in Kubernetes, evaluated in-process when the mesh runs without Istio.

export { accessDeniedMessage, PolicyEngine, type PolicyEngineOptions } from "./engine.ts";
export { loadPolicies } from "./load.ts";
export { PolicyParseError, parsePolicies } from "./parse.ts";
export type {
  AuthorizationPolicy,
  Decision,
  Operation,
  PolicyAction,
  PolicyRequest,
  Rule,
  Source,
  Workload,
} from "./types.ts";
