// protobuf-es reports a bad JSON field by its descriptor (`example.billing.v1.InvoiceLine.quantity`),
// not by where it sits in the request (`items[2].quantity`), and an unknown key only by message
// type. When decoding fails, this walks the JSON beside the schema to find the first offending
// field and name it by path. It never decides validity itself: every leaf is checked by asking
// protobuf-es to decode just that leaf.
import { type DescField, type DescMessage, fromJson, type JsonValue, type Registry } from "@bufbuild/protobuf";
import { hasCustomJsonRepresentation } from "@bufbuild/protobuf/wkt";
import type { FieldViolation } from "@weft/mesh";
import { fieldByName } from "./field-path.ts";

/** Deeper than protobuf-es's default recursion limit is rejected anyway; stop walking there. */
const maxDepth = 100;

/** The first field of `json` that protobuf-es refuses for `schema`, named from `path`. */
export function locateJsonViolation(
  schema: DescMessage,
  json: JsonValue,
  path: string,
  registry: Registry | undefined,
): FieldViolation | undefined {
  return locateInMessage(schema, json, path, registry, 0);
}

/**
 * The reason protobuf-es gave, without its `cannot decode … from JSON:` preamble. When that reason
 * is nothing but the offending value (as for a bad enum name), the expected type is named instead.
 */
export function describeJsonError(error: unknown): string {
  if (error instanceof Error && error.cause instanceof Error) return error.cause.message;
  const message = error instanceof Error ? error.message : String(error);
  const parts = /^cannot decode (?:message |enum |field )?(\S+) from JSON:? ?(.*)$/s.exec(message);
  if (parts === null) return message;
  const [, typeName, reason = ""] = parts;
  return /^(?:["[{\d-]|Array\(|object$|null$|true$|false$)/.test(reason)
    ? `expected ${typeName}, got ${reason}`
    : reason;
}

function locateInMessage(
  schema: DescMessage,
  json: JsonValue,
  path: string,
  registry: Registry | undefined,
  depth: number,
): FieldViolation | undefined {
  if (depth > maxDepth) return { field: path, description: "nested too deeply" };
  if (hasCustomJsonRepresentation(schema) || json === null || typeof json !== "object" || Array.isArray(json)) {
    return firstError(() => fromJson(schema, json, { registry }), path);
  }
  for (const [key, value] of Object.entries(json)) {
    const field = fieldByName(schema, key);
    if (field === undefined) return { field: join(path, key), description: `unknown field "${key}"` };
    const found = locateInField(schema, field, key, value, join(path, field.name), registry, depth);
    if (found !== undefined) return found;
  }
  // Each field decodes on its own; what is left is about their combination (a oneof set twice,
  // one field spelled by both its names).
  return firstError(() => fromJson(schema, json, { registry }), path);
}

function locateInField(
  schema: DescMessage,
  field: DescField,
  key: string,
  value: JsonValue,
  path: string,
  registry: Registry | undefined,
  depth: number,
): FieldViolation | undefined {
  if (value !== null && field.fieldKind === "message") {
    return locateInMessage(field.message, value, path, registry, depth + 1);
  }
  if (Array.isArray(value) && field.fieldKind === "list" && field.listKind === "message") {
    const { message } = field;
    for (const [index, item] of value.entries()) {
      const found = locateInMessage(message, item, `${path}[${index}]`, registry, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (isObject(value) && field.fieldKind === "map" && field.mapKind === "message") {
    const { message } = field;
    for (const [mapKey, item] of Object.entries(value)) {
      const found = locateInMessage(message, item, `${path}[${mapKey}]`, registry, depth + 1);
      if (found !== undefined) return found;
    }
  }
  // A scalar, enum, list or map of those, or a well-known type: decode it alone in its message.
  return firstError(() => fromJson(schema, { [key]: value }, { registry }), path);
}

function firstError(decode: () => unknown, path: string): FieldViolation | undefined {
  try {
    decode();
    return undefined;
  } catch (error) {
    return { field: path, description: describeJsonError(error) };
  }
}

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function join(path: string, name: string): string {
  return path === "" ? name : `${path}.${name}`;
}
