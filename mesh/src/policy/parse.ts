// Turns Kubernetes YAML into typed AuthorizationPolicies. Fails closed: anything the local mesh
// cannot enforce exactly as Istio would (CUSTOM/AUDIT, conditions, JWT principals, IP blocks,
// hosts, ports, targetRefs) is an error rather than a field quietly ignored, because ignoring
// part of a rule changes what it matches — an ALLOW would allow more, a DENY would deny less.

import { parseAllDocuments } from "yaml";
import { patternProblem } from "./string-match.ts";
import type { AuthorizationPolicy, Operation, PolicyAction, Rule, Source } from "./types.ts";

/** A malformed or unsupported policy; the message names the file and the policy. */
export class PolicyParseError extends Error {
  override name = "PolicyParseError";
}

const supportedApiVersions = new Set(["security.istio.io/v1", "security.istio.io/v1beta1"]);

const sourceFields = ["principals", "notPrincipals", "namespaces", "notNamespaces"] as const;
const operationFields = ["paths", "notPaths", "methods", "notMethods"] as const;

// Real Istio fields the local mesh cannot evaluate: named so the error says "unsupported"
// rather than "unknown", which would wrongly suggest a typo.
const unsupportedSpecFields = new Set(["provider", "targetRef", "targetRefs"]);
const unsupportedRuleFields = new Set(["when"]);
const unsupportedSourceFields = new Set([
  "requestPrincipals",
  "notRequestPrincipals",
  "ipBlocks",
  "notIpBlocks",
  "remoteIpBlocks",
  "notRemoteIpBlocks",
  "serviceAccounts",
  "notServiceAccounts",
]);
const unsupportedOperationFields = new Set(["hosts", "notHosts", "ports", "notPorts"]);

type YamlMap = Record<string, unknown>;

function isMap(value: unknown): value is YamlMap {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reports problems at a dotted location inside one policy, e.g. `spec.rules[0].from[1].source`. */
class Problems {
  constructor(private readonly where: string) {}

  fail(location: string, problem: string): never {
    throw new PolicyParseError(`${this.where}: ${location} ${problem}`);
  }

  unsupported(location: string): never {
    this.fail(location, "is unsupported by the local mesh (refused rather than ignored, so policies fail closed)");
  }

  /** Rejects keys outside `known`, distinguishing real-but-unsupported Istio fields from typos. */
  checkKeys(map: YamlMap, location: string, known: ReadonlySet<string>, unsupported: ReadonlySet<string>): void {
    for (const key of Object.keys(map)) {
      if (unsupported.has(key)) this.unsupported(`${location}.${key}`);
      if (!known.has(key)) this.fail(`${location}.${key}`, "is not a known field");
    }
  }
}

function parseStringList(value: unknown, location: string, problems: Problems): readonly string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) problems.fail(location, "must be a list of strings");
  // Istio reads an empty list as "field absent", i.e. no constraint; an author writing `[]`
  // more likely meant "nobody", so refuse the ambiguity.
  if (value.length === 0) problems.fail(location, "is an empty list (remove the field or list values)");
  return value.map((item, index) => {
    if (typeof item !== "string") problems.fail(`${location}[${index}]`, "must be a string");
    const problem = patternProblem(item);
    if (problem !== undefined) problems.fail(`${location}[${index}]`, problem);
    return item;
  });
}

function parseFields<Field extends string>(
  map: YamlMap,
  fields: readonly Field[],
  location: string,
  problems: Problems,
): Partial<Record<Field, readonly string[]>> {
  const parsed: Partial<Record<Field, readonly string[]>> = {};
  for (const field of fields) {
    const values = parseStringList(map[field], `${location}.${field}`, problems);
    if (values !== undefined) parsed[field] = values;
  }
  // Istio's validation rejects an empty source/operation; it would otherwise match everything.
  if (Object.keys(parsed).length === 0) problems.fail(location, "must set at least one field");
  return parsed;
}

/** Parses `from` or `to`: a list of single-key wrappers (`- source: {...}` / `- operation: {...}`). */
function parseClauses<Clause>(
  value: unknown,
  location: string,
  wrapper: "source" | "operation",
  parseClause: (map: YamlMap, location: string) => Clause,
  problems: Problems,
): readonly Clause[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) problems.fail(location, "must be a list");
  // An empty list would mean "any" in Istio; refuse it for the same reason as empty value lists.
  if (value.length === 0) problems.fail(location, "is an empty list (remove the field or list entries)");
  return value.map((entry, index) => {
    const entryLocation = `${location}[${index}]`;
    if (!isMap(entry)) problems.fail(entryLocation, `must be a mapping with a "${wrapper}" key`);
    problems.checkKeys(entry, entryLocation, new Set([wrapper]), new Set());
    const inner = entry[wrapper];
    if (!isMap(inner)) problems.fail(`${entryLocation}.${wrapper}`, "must be a mapping");
    return parseClause(inner, `${entryLocation}.${wrapper}`);
  });
}

function parseSource(map: YamlMap, location: string, problems: Problems): Source {
  problems.checkKeys(map, location, new Set(sourceFields), unsupportedSourceFields);
  return parseFields(map, sourceFields, location, problems);
}

function parseOperation(map: YamlMap, location: string, problems: Problems): Operation {
  problems.checkKeys(map, location, new Set(operationFields), unsupportedOperationFields);
  return parseFields(map, operationFields, location, problems);
}

function parseRule(value: unknown, location: string, problems: Problems): Rule {
  // `- {}` is the empty rule, which matches every request.
  if (!isMap(value)) problems.fail(location, "must be a mapping");
  problems.checkKeys(value, location, new Set(["from", "to"]), unsupportedRuleFields);
  return {
    from: parseClauses(value.from, `${location}.from`, "source", (map, at) => parseSource(map, at, problems), problems),
    to: parseClauses(value.to, `${location}.to`, "operation", (map, at) => parseOperation(map, at, problems), problems),
  };
}

function parseAction(value: unknown, problems: Problems): PolicyAction {
  if (value === undefined || value === null) return "ALLOW"; // Istio's default action
  if (value === "ALLOW" || value === "DENY") return value;
  if (value === "CUSTOM" || value === "AUDIT") problems.unsupported(`spec.action ${value}`);
  return problems.fail("spec.action", `must be ALLOW or DENY, got ${JSON.stringify(value)}`);
}

function parseSelector(value: unknown, problems: Problems): Readonly<Record<string, string>> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isMap(value)) problems.fail("spec.selector", "must be a mapping");
  problems.checkKeys(value, "spec.selector", new Set(["matchLabels"]), new Set());
  const matchLabels = value.matchLabels;
  if (matchLabels === undefined || matchLabels === null) return undefined;
  if (!isMap(matchLabels)) problems.fail("spec.selector.matchLabels", "must be a mapping");
  const labels: Record<string, string> = {};
  for (const [key, label] of Object.entries(matchLabels)) {
    // Kubernetes label values are strings; `app: 1` would parse as a number and never match.
    if (typeof label !== "string") problems.fail(`spec.selector.matchLabels.${key}`, "must be a string");
    labels[key] = label;
  }
  return Object.keys(labels).length === 0 ? undefined : labels;
}

function requiredString(map: YamlMap, key: string, location: string, problems: Problems): string {
  const value = map[key];
  if (typeof value !== "string" || value === "") problems.fail(`${location}.${key}`, "must be a non-empty string");
  return value;
}

function parsePolicyDocument(document: YamlMap, source: string, where: string): AuthorizationPolicy {
  // Annotated so TypeScript treats `problems.fail(...)` (returns never) as ending the flow.
  let problems: Problems = new Problems(where);
  if (!supportedApiVersions.has(String(document.apiVersion))) {
    problems.fail("apiVersion", `${JSON.stringify(document.apiVersion)} is not supported`);
  }
  const metadata = document.metadata;
  if (!isMap(metadata)) problems.fail("metadata", "must be a mapping");
  const name = requiredString(metadata, "name", "metadata", problems);
  problems = new Problems(`${where} AuthorizationPolicy ${name}`);
  // kubectl would default the namespace from the context; the local mesh has no context, and
  // a guessed namespace would change which workloads the policy applies to.
  const namespace = requiredString(metadata, "namespace", "metadata", problems);
  problems = new Problems(`${where} AuthorizationPolicy ${namespace}/${name}`);

  const spec = document.spec ?? {};
  if (!isMap(spec)) problems.fail("spec", "must be a mapping");
  // The action first: for CUSTOM, "the action is unsupported" says more than "provider is".
  const action = parseAction(spec.action, problems);
  problems.checkKeys(spec, "spec", new Set(["selector", "action", "rules"]), unsupportedSpecFields);
  const rules = spec.rules ?? [];
  if (!Array.isArray(rules)) problems.fail("spec.rules", "must be a list");
  return {
    name,
    namespace,
    action,
    selector: parseSelector(spec.selector, problems),
    rules: rules.map((rule, index) => parseRule(rule, `spec.rules[${index}]`, problems)),
    source,
  };
}

function isAuthorizationPolicy(document: YamlMap): boolean {
  return document.kind === "AuthorizationPolicy" && String(document.apiVersion).startsWith("security.istio.io/");
}

/**
 * Parses every Istio AuthorizationPolicy in a multi-document YAML text. Other kinds
 * (PeerAuthentication, VirtualService...) are skipped; `source` names the text in errors.
 */
export function parsePolicies(yamlText: string, source: string): AuthorizationPolicy[] {
  const policies: AuthorizationPolicy[] = [];
  const documents = parseAllDocuments(yamlText);
  // parseAllDocuments returns an EmptyStream (not an array) for text with no documents.
  if (!Array.isArray(documents)) return policies;
  for (const [index, document] of documents.entries()) {
    const where = `${source} (document ${index + 1})`;
    const syntaxError = document.errors[0];
    if (syntaxError !== undefined) throw new PolicyParseError(`${where}: invalid YAML: ${syntaxError.message}`);
    const content: unknown = document.toJS();
    if (content === null || content === undefined) continue; // an empty document, e.g. after a trailing ---
    if (!isMap(content)) throw new PolicyParseError(`${where}: a Kubernetes object must be a mapping`);
    if (isAuthorizationPolicy(content)) policies.push(parsePolicyDocument(content, source, where));
  }
  return policies;
}
