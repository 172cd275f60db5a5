import type { DescField, DescMessage } from "@bufbuild/protobuf";
import type { ApiAnnotations } from "./annotations.ts";
import { joinDescriptions, leadingComment } from "./comments.ts";
import { isScalarLikeWellKnownType, isWellKnownType, type SchemaCollector } from "./json-schemas.ts";
import type { JsonSchema, Parameter } from "./openapi-types.ts";
import { type PathVariable, segmentsRegex } from "./path-template.ts";

/**
 * Path parameters, one per template variable. The name is the variable as the template writes
 * it (proto field names, dotted for nested fields such as `product.id`), because an OpenAPI path
 * parameter must match its `{name}` in the path literally.
 */
export function pathParameters(request: DescMessage, variables: PathVariable[], schemas: SchemaCollector): Parameter[] {
  return variables.map((variable) => {
    const field = resolveFieldPath(request, variable.fieldPath);
    const pattern =
      variable.pattern === "*" ? undefined : `Matches the pattern \`${variable.pattern}\` (may contain slashes).`;
    const schema = schemas.valueSchema(field);
    if (variable.pattern !== "*") schema.pattern = segmentsRegex(variable.pattern);
    const parameter: Parameter = { name: variable.fieldPath, in: "path", required: true, schema };
    const description = joinDescriptions(leadingComment(field), pattern);
    if (description !== undefined) parameter.description = description;
    return parameter;
  });
}

/**
 * Query parameters: every field of the request not bound by the path or the body, as the
 * HttpRule spec says. Names are the lowerCamel JSON names joined by dots for fields of nested
 * messages (`filter.minPrice`); proto3 JSON transcoders also accept the proto names
 * (`page_size`), but the document states one spelling, the one the JSON bodies use. Repeated
 * scalars repeat the key (`?ids=a&ids=b`, OpenAPI's default form/explode style). Maps, repeated
 * messages and messages without a one-value JSON form cannot be written as query parameters and
 * are left out, like grpc-gateway does.
 */
export function queryParameters(
  request: DescMessage,
  bound: ReadonlySet<string>,
  schemas: SchemaCollector,
  annotations: ApiAnnotations,
): Parameter[] {
  const parameters: Parameter[] = [];
  const walk = (message: DescMessage, protoPrefix: string, jsonPrefix: string, required: boolean, seen: string[]) => {
    for (const field of message.fields) {
      const protoPath = protoPrefix + field.name;
      if (bound.has(protoPath)) continue;
      const jsonPath = jsonPrefix + field.jsonName;
      const isRequired = required && annotations.fieldBehaviors(field).has("REQUIRED");
      const nested = nestedMessage(field);
      if (nested !== undefined) {
        // A message that contains itself would otherwise yield endless parameter names.
        if (seen.includes(nested.typeName)) continue;
        walk(nested, `${protoPath}.`, `${jsonPath}.`, isRequired, [...seen, nested.typeName]);
        continue;
      }
      const schema = queryValueSchema(field, schemas);
      if (schema === undefined) continue;
      const parameter: Parameter = { name: jsonPath, in: "query", required: isRequired, schema };
      const description = leadingComment(field);
      if (description !== undefined) parameter.description = description;
      parameters.push(parameter);
    }
  };
  walk(request, "", "", true, [request.typeName]);
  return parameters;
}

/**
 * The field paths (dotted proto names) that the path or a `body: "field"` binds. A nested path
 * (`product.id`) excludes only that leaf: the walk still descends into `product` for the rest.
 */
export function boundFieldPaths(pathFieldPaths: string[], body: string): Set<string> {
  return new Set(body === "" || body === "*" ? pathFieldPaths : [...pathFieldPaths, body]);
}

/** Follows a dotted path of proto field names through nested messages to the field it names. */
export function resolveFieldPath(message: DescMessage, fieldPath: string): DescField {
  let current: DescMessage | undefined = message;
  let field: DescField | undefined;
  for (const name of fieldPath.split(".")) {
    field = current?.fields.find((f) => f.name === name);
    if (field === undefined) throw new Error(`${message.typeName} has no field "${fieldPath}" (bound by the path)`);
    current = field.fieldKind === "message" ? field.message : undefined;
  }
  if (field === undefined) throw new Error(`${message.typeName}: empty field path`);
  return field;
}

/** The message a query parameter walk descends into: a message field of the API's own types. */
function nestedMessage(field: DescField): DescMessage | undefined {
  if (field.fieldKind !== "message") return undefined;
  return isWellKnownType(field.message) ? undefined : field.message;
}

function queryValueSchema(field: DescField, schemas: SchemaCollector): JsonSchema | undefined {
  switch (field.fieldKind) {
    case "scalar":
    case "enum":
      return schemas.valueSchema(field);
    case "message":
      // Only well-known types reach here (see nestedMessage); Struct, Any and the like have
      // no one-value form.
      return isScalarLikeWellKnownType(field.message) ? schemas.valueSchema(field) : undefined;
    case "list":
      if (field.listKind === "message" && !isScalarLikeWellKnownType(field.message)) return undefined;
      return schemas.valueSchema(field);
    case "map":
      return undefined;
  }
}
