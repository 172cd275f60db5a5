import {
  type DescExtension,
  type DescField,
  type DescMessage,
  type DescMethod,
  getOption,
  hasOption,
  isMessage,
  type JsonValue,
  type Registry,
  toJson,
} from "@bufbuild/protobuf";
import type { HttpMethod } from "./openapi-types.ts";

/** One REST binding of a method: a `google.api.http` rule or one of its additional bindings. */
export interface HttpBinding {
  method: HttpMethod;
  /** The path template as the annotation writes it, such as `/v1/{name=shelves/*}:publish`. */
  pathTemplate: string;
  /** `""` (no body), `"*"` (the whole request) or the name of one request field. */
  body: string;
  /** `""` (the whole response) or the name of the response field that is the HTTP body. */
  responseBody: string;
}

/**
 * Reads Google API annotations out of the descriptors of one generation request. The extension
 * descriptors come from the request itself (google/api/*.proto travel with the files that import
 * them), not from generated code: the plugin runs while gen/ is being regenerated.
 */
export class ApiAnnotations {
  readonly #http: DescExtension | undefined;
  readonly #httpRule: DescMessage | undefined;
  readonly #fieldBehavior: DescExtension | undefined;
  readonly #allowAnonymous: DescExtension | undefined;
  readonly #behaviorNames: ReadonlyMap<number, string>;

  constructor(registry: Registry) {
    this.#http = registry.getExtension("google.api.http");
    this.#httpRule = registry.getMessage("google.api.HttpRule");
    this.#fieldBehavior = registry.getExtension("google.api.field_behavior");
    this.#allowAnonymous = registry.getExtension("weft.api.v1.allow_anonymous");
    const behaviors = registry.getEnum("google.api.FieldBehavior");
    this.#behaviorNames = new Map(behaviors?.values.map((v) => [v.number, v.name]) ?? []);
  }

  /** Every REST binding of the method, the primary rule first; empty when it has none. */
  httpBindings(method: DescMethod): HttpBinding[] {
    const http = this.#http;
    const ruleDesc = this.#httpRule;
    if (http === undefined || ruleDesc === undefined || !hasOption(method, http)) return [];
    const rule = getOption(method, http);
    if (!isMessage(rule, ruleDesc)) return [];
    // The JSON form of HttpRule is a stable, documented shape; reading it avoids depending on
    // generated HttpRule types that do not exist yet when this plugin runs.
    const json = toJson(ruleDesc, rule);
    const primary = bindingFromJson(json, method);
    const additional = jsonArray(jsonObject(json)?.additionalBindings).map((b) => bindingFromJson(b, method));
    return [primary, ...additional];
  }

  /**
   * Whether the edge serves the method without an access token (`weft.api.v1.allow_anonymous`):
   * the contract, not a list in the generator, decides which operations need `bearer`.
   */
  allowsAnonymous(method: DescMethod): boolean {
    const ext = this.#allowAnonymous;
    return ext !== undefined && hasOption(method, ext) && getOption(method, ext) === true;
  }

  /** The `google.api.field_behavior` names of a field, such as `REQUIRED` or `OUTPUT_ONLY`. */
  fieldBehaviors(field: DescField): Set<string> {
    const ext = this.#fieldBehavior;
    if (ext === undefined || !hasOption(field, ext)) return new Set();
    const values = getOption(field, ext);
    if (!Array.isArray(values)) return new Set();
    return new Set(values.flatMap((v) => (typeof v === "number" ? [this.#behaviorNames.get(v) ?? String(v)] : [])));
  }
}

const patternKeys: readonly HttpMethod[] = ["get", "put", "post", "delete", "patch"];

function bindingFromJson(json: JsonValue, method: DescMethod): HttpBinding {
  const rule = jsonObject(json) ?? {};
  const body = jsonString(rule.body);
  const responseBody = jsonString(rule.responseBody);
  for (const key of patternKeys) {
    const path = jsonString(rule[key]);
    if (path !== "") return { method: key, pathTemplate: path, body, responseBody };
  }
  const custom = jsonObject(rule.custom);
  const kind = jsonString(custom?.kind).toLowerCase();
  if (custom !== undefined && isCustomMethod(kind)) {
    return { method: kind, pathTemplate: jsonString(custom.path), body, responseBody };
  }
  throw new Error(`${method.parent.typeName}.${method.name}: google.api.http rule without a usable pattern`);
}

function isCustomMethod(kind: string): kind is "head" | "options" | "trace" {
  return kind === "head" || kind === "options" || kind === "trace";
}

function jsonObject(value: JsonValue | undefined): { [key: string]: JsonValue } | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? value : undefined;
}

function jsonArray(value: JsonValue | undefined): JsonValue[] {
  return Array.isArray(value) ? value : [];
}

function jsonString(value: JsonValue | undefined): string {
  return typeof value === "string" ? value : "";
}
