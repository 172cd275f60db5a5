// REST routes read from google.api.http rules. Every rule is validated here, when the router is
// built, so a mistake in a .proto file fails at startup with the method named, never per request.
import { type DescField, type DescMethod, type DescService, getOption, hasOption } from "@bufbuild/protobuf";
import { type HttpRule, http } from "@weft/mesh/contracts";
import { fieldByName, protoPathOf, resolveFieldPath } from "./field-path.ts";
import { directLeafSetter, type LeafSetter } from "./leaf-setter.ts";
import { type PathTemplate, parsePathTemplate, type TemplateVariable } from "./path-template.ts";
import { textUnsupportedReason } from "./text-value.ts";

/** A template variable and the request field it sets. */
export interface PathBinding {
  readonly variable: TemplateVariable;
  /** The field path, outermost first. */
  readonly fields: readonly DescField[];
  /** The field path in proto names, as error details name it. */
  readonly fieldPath: string;
  /** Sets the field straight from its text, when that is all the JSON route would do (an id). */
  readonly direct: LeafSetter | undefined;
}

export interface RestRoute {
  readonly method: DescMethod;
  /** Upper-case HTTP method: GET, POST, PUT, PATCH, DELETE, or a custom rule's kind. */
  readonly httpMethod: string;
  /** The path template as written in the rule. */
  readonly pattern: string;
  /** `""` (no body), `"*"` (the whole request) or a top-level request field name. */
  readonly body: string;
  /** `""` (the whole response) or a top-level response field name. */
  readonly responseBody: string;
  readonly template: PathTemplate;
  readonly pathBindings: readonly PathBinding[];
  /** The request field the body maps to when `body` names one. */
  readonly bodyField: DescField | undefined;
  /** The response field that is the HTTP body when `responseBody` names one. */
  readonly responseBodyField: DescField | undefined;
}

/** Every REST route of the services, in declaration order (additional bindings after their rule). */
export function routesOf(services: readonly DescService[]): RestRoute[] {
  return services.flatMap((service) => service.methods.flatMap(routesOfMethod));
}

function routesOfMethod(method: DescMethod): RestRoute[] {
  if (!hasOption(method, http)) return [];
  const rule = getOption(method, http);
  const nested = rule.additionalBindings.find((binding) => binding.additionalBindings.length > 0);
  if (nested !== undefined) fail(method, "additional_bindings cannot nest");
  return [rule, ...rule.additionalBindings].map((binding) => routeOf(method, binding));
}

function routeOf(method: DescMethod, rule: HttpRule): RestRoute {
  const [httpMethod, pattern] = verbAndPattern(method, rule);
  let template: PathTemplate;
  try {
    template = parsePathTemplate(pattern);
  } catch (error) {
    fail(method, error instanceof Error ? error.message : String(error));
  }
  return {
    method,
    httpMethod,
    pattern,
    body: rule.body,
    responseBody: rule.responseBody,
    template,
    pathBindings: template.variables.map((variable) => bindingOf(method, variable)),
    bodyField: rule.body === "" || rule.body === "*" ? undefined : topLevelField(method, "body", rule.body),
    responseBodyField: rule.responseBody === "" ? undefined : topLevelField(method, "response_body", rule.responseBody),
  };
}

function verbAndPattern(method: DescMethod, rule: HttpRule): [string, string] {
  const { pattern } = rule;
  switch (pattern.case) {
    case "get":
    case "put":
    case "post":
    case "delete":
    case "patch":
      return [pattern.case.toUpperCase(), pattern.value];
    case "custom":
      if (pattern.value.kind === "") fail(method, "custom rule without a kind");
      return [pattern.value.kind.toUpperCase(), pattern.value.path];
    case undefined:
      return fail(method, "rule without a pattern");
  }
}

function bindingOf(method: DescMethod, variable: TemplateVariable): PathBinding {
  const resolved = resolveFieldPath(method.input, variable.fieldPath);
  if (!resolved.ok) fail(method, `path variable {${variable.fieldPath}}: ${resolved.reason}`);
  const leaf = resolved.fields.at(-1);
  if (leaf === undefined) fail(method, `path variable {${variable.fieldPath}} names no field`);
  if (leaf.fieldKind === "list") fail(method, `path variable {${variable.fieldPath}} is repeated`);
  const unsupported = textUnsupportedReason(leaf);
  if (unsupported !== undefined) fail(method, `path variable {${variable.fieldPath}}: ${unsupported}`);
  return {
    variable,
    fields: resolved.fields,
    fieldPath: protoPathOf(resolved.fields),
    direct: directLeafSetter(resolved.fields),
  };
}

function topLevelField(method: DescMethod, option: string, name: string): DescField {
  const message = option === "body" ? method.input : method.output;
  const field = fieldByName(message, name);
  if (field === undefined) fail(method, `${option} "${name}" is not a field of ${message.typeName}`);
  return field;
}

function fail(method: DescMethod, reason: string): never {
  throw new Error(`google.api.http rule of ${method.parent.typeName}.${method.name}: ${reason}`);
}
