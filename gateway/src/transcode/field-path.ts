import type { DescField, DescMessage, JsonValue } from "@bufbuild/protobuf";
import { hasCustomJsonRepresentation } from "@bufbuild/protobuf/wkt";

/** A dotted field path resolved to its fields, outermost first. */
export type ResolvedFieldPath =
  | { readonly ok: true; readonly fields: readonly DescField[] }
  | { readonly ok: false; readonly reason: string };

/** The field of a message with this proto name (`page_size`) or JSON name (`pageSize`). */
export function fieldByName(message: DescMessage, name: string): DescField | undefined {
  return message.fields.find((field) => field.name === name || field.jsonName === name);
}

/**
 * Resolves `page.size` (or `page.size` spelled in JSON names) against a message. Every segment but
 * the last must be a singular message field without a custom JSON form: only those have fields that
 * a dotted path can step into.
 */
export function resolveFieldPath(message: DescMessage, path: string): ResolvedFieldPath {
  const fields: DescField[] = [];
  let current: DescMessage | undefined = message;
  for (const name of path.split(".")) {
    if (current === undefined) {
      return { ok: false, reason: `${protoPathOf(fields)} has no fields to select` };
    }
    const field = fieldByName(current, name);
    if (field === undefined) return { ok: false, reason: `unknown field "${name}" in ${current.typeName}` };
    fields.push(field);
    current = field.fieldKind === "message" && !hasCustomJsonRepresentation(field.message) ? field.message : undefined;
  }
  return { ok: true, fields };
}

/** The path in proto names, as google.rpc.BadRequest field violations name fields: `page.size`. */
export function protoPathOf(fields: readonly DescField[]): string {
  return fields.map((field) => field.name).join(".");
}

/**
 * Wraps a leaf JSON value in the objects of its path, keyed by proto name:
 * `[page, size]` and `10` give `{ "page": { "size": 10 } }`.
 */
export function nestJson(fields: readonly DescField[], leaf: JsonValue): JsonValue {
  return fields.reduceRight<JsonValue>((inner, field) => ({ [field.name]: inner }), leaf);
}
