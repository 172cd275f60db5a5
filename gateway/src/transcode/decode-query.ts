// Query parameters → the request fields that neither the path nor the body sets.
//
// Keys are field paths in proto or JSON names (`page_size`, `pageSize`, `page.size`); a repeated
// field takes repeated keys (`?ids=a&ids=b`); values are text converted by text-value.ts. Unknown
// keys, keys naming a field the path or body already sets, a singular field given twice, and two
// members of one oneof are all INVALID_ARGUMENT: silently dropping what a client sent hides bugs.
import {
  type DescField,
  fromJson,
  type JsonObject,
  type JsonValue,
  type Message,
  mergeFromJson,
  type Registry,
} from "@bufbuild/protobuf";
import { hasCustomJsonRepresentation } from "@bufbuild/protobuf/wkt";
import type { FieldViolation } from "@weft/mesh";
import { nestJson, protoPathOf, resolveFieldPath } from "./field-path.ts";
import { describeJsonError } from "./json-violation.ts";
import type { RestRoute } from "./rest-route.ts";
import { type TextConversion, textToJson, textUnsupportedReason } from "./text-value.ts";

interface QueryLeaf {
  readonly fields: readonly DescField[];
  readonly values: string[];
}

/** Merges the query parameters into `message`; returns the violations (then nothing is merged). */
export function decodeQuery(
  route: RestRoute,
  message: Message,
  query: URLSearchParams,
  registry: Registry | undefined,
): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const leaves = groupByField(route, query, violations);
  const schema = route.method.input;
  const merged: JsonObject = {};
  const oneofMembers = new Map<string, string>();
  for (const [path, { fields, values }] of leaves) {
    const leaf = fields.at(-1);
    if (leaf === undefined) continue;
    if (leaf.fieldKind !== "list" && values.length > 1) {
      violations.push({ field: path, description: "given more than once, but the field is not repeated" });
      continue;
    }
    const conversion = leafJson(leaf, values);
    if (!conversion.ok) {
      violations.push({ field: path, description: conversion.reason });
      continue;
    }
    const oneofClash = claimOneofs(fields, oneofMembers);
    if (oneofClash !== undefined) {
      violations.push({ field: path, description: oneofClash });
      continue;
    }
    const nested = nestJson(fields, conversion.json);
    try {
      // Decoded alone first, so that a bad value is reported under its own parameter.
      fromJson(schema, nested, { registry });
    } catch (error) {
      violations.push({ field: path, description: describeJsonError(error) });
      continue;
    }
    deepMerge(merged, nested);
  }
  if (violations.length > 0) return violations;
  try {
    mergeFromJson(schema, message, merged, { registry });
  } catch (error) {
    return [{ field: "*", description: describeJsonError(error) }];
  }
  return [];
}

/** Resolves each key to its field, reporting keys that cannot be used; groups two spellings of a field. */
function groupByField(route: RestRoute, query: URLSearchParams, violations: FieldViolation[]): Map<string, QueryLeaf> {
  const leaves = new Map<string, QueryLeaf>();
  for (const key of new Set(query.keys())) {
    const resolved = resolveFieldPath(route.method.input, key);
    if (!resolved.ok) {
      violations.push({ field: key, description: `unknown query parameter: ${resolved.reason}` });
      continue;
    }
    const { fields } = resolved;
    const path = protoPathOf(fields);
    const leaf = fields.at(-1);
    if (leaf === undefined) continue;
    const refusal = claimedElsewhere(route, fields, path) ?? queryUnsupportedReason(leaf, key);
    if (refusal !== undefined) {
      violations.push({ field: path, description: refusal });
      continue;
    }
    const values = query.getAll(key);
    const existing = leaves.get(path);
    if (existing === undefined) leaves.set(path, { fields, values });
    else existing.values.push(...values);
  }
  return leaves;
}

function claimedElsewhere(route: RestRoute, fields: readonly DescField[], path: string): string | undefined {
  if (route.body === "*") return "not accepted as a query parameter: the request body sets every field";
  if (route.bodyField !== undefined && fields[0] === route.bodyField) return "set by the request body";
  const overlaps = (bound: string) => bound === path || bound.startsWith(`${path}.`) || path.startsWith(`${bound}.`);
  if (route.pathBindings.some((binding) => overlaps(binding.fieldPath))) return "set by the URL path";
  return undefined;
}

function queryUnsupportedReason(leaf: DescField, key: string): string | undefined {
  if (leaf.fieldKind === "message" && !hasCustomJsonRepresentation(leaf.message)) {
    return `a message field: set its fields one by one, such as "${key}.${leaf.message.fields[0]?.name ?? "field"}"`;
  }
  return textUnsupportedReason(leaf);
}

/** The JSON value for the leaf: an array for a repeated field, else its one value. */
function leafJson(leaf: DescField, values: readonly string[]): TextConversion {
  const items: JsonValue[] = [];
  for (const value of values) {
    const conversion = textToJson(leaf, value);
    if (!conversion.ok) return conversion;
    items.push(conversion.json);
  }
  return { ok: true, json: leaf.fieldKind === "list" ? items : (items[0] ?? null) };
}

/**
 * Records the oneof member each field on the path selects; a second member of the same oneof in
 * the same message is a clash. Keyed by the message's path plus the oneof's name.
 */
function claimOneofs(fields: readonly DescField[], members: Map<string, string>): string | undefined {
  for (const [index, field] of fields.entries()) {
    if (field.oneof === undefined) continue;
    const key = `${protoPathOf(fields.slice(0, index))}#${field.oneof.name}`;
    const claimed = members.get(key);
    if (claimed !== undefined && claimed !== field.name) {
      return `oneof ${field.oneof.name} is already set by "${claimed}"`;
    }
    members.set(key, field.name);
  }
  return undefined;
}

function deepMerge(target: JsonObject, source: JsonValue): void {
  if (source === null || typeof source !== "object" || Array.isArray(source)) return;
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isObject(existing) && isObject(value)) deepMerge(existing, value);
    else target[key] = value;
  }
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
