import { type JsonValue, type JsonWriteOptions, type Message, type Registry, toJson } from "@bufbuild/protobuf";
import { hasCustomJsonRepresentation } from "@bufbuild/protobuf/wkt";
import type { RestRoute } from "./rest-route.ts";

/**
 * How REST responses are written: lowerCamel JSON names, enums by name, and fields at their default
 * value included (`"quantity": 0`, `"lines": []`), so every response of a method has the same shape
 * for clients and for the OpenAPI schemas. Unset message fields are still left out.
 */
export function responseJsonOptions(registry: Registry): Partial<JsonWriteOptions> {
  let options = optionsOf.get(registry);
  if (options === undefined) {
    options = Object.freeze({ registry, alwaysEmitImplicit: true, useProtoFieldName: false });
    optionsOf.set(registry, options);
  }
  return options;
}

/** One options object per registry, not one per response. */
const optionsOf = new WeakMap<Registry, Partial<JsonWriteOptions>>();

/**
 * The JSON body of a REST response: the whole response message, or only the field named by the
 * rule's `response_body`. Throws (a server bug, answered 500) if the message is not the method's
 * output type or holds an Any whose type the registry lacks.
 */
export function encodeRestResponse(route: RestRoute, response: Message, registry: Registry): JsonValue {
  const schema = route.method.output;
  if (response.$typeName !== schema.typeName) {
    throw new TypeError(`${route.method.name} returns ${schema.typeName}, not ${response.$typeName}`);
  }
  const json = toJson(schema, response, responseJsonOptions(registry));
  const field = route.responseBodyField;
  if (field === undefined) return json;
  const value = isObject(json) ? json[field.jsonName] : undefined;
  if (value !== undefined) return value;
  // Only an unset message field is absent: an empty object for a plain message, null for a
  // well-known type whose JSON form is not an object (Timestamp, wrappers, ...).
  return field.fieldKind === "message" && hasCustomJsonRepresentation(field.message) ? null : {};
}

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
