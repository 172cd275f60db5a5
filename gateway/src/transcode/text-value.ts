// Path variables and query parameters arrive as text. Rather than parse numbers, enums, bytes and
// well-known types by hand, each text is turned into the proto3 JSON value protobuf-es would accept
// for the field (`"12"` for an int32, `true` for a bool, `"1.5s"` for a Duration) and protobuf-es's
// fromJson does the real parsing, range checks included. Only the text → JSON shape lives here.
import { type DescField, type DescMessage, type JsonValue, ScalarType } from "@bufbuild/protobuf";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";

export type TextConversion =
  | { readonly ok: true; readonly json: JsonValue }
  | { readonly ok: false; readonly reason: string };

/** Well-known types whose JSON form is a plain string, so a URL can carry them verbatim. */
const stringFormTypes = new Set(["google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask"]);

/** Why a field cannot take its value from URL text, or undefined when it can. */
export function textUnsupportedReason(field: DescField): string | undefined {
  switch (field.fieldKind) {
    case "scalar":
    case "enum":
      return undefined;
    case "message":
      return messageTakesText(field.message) ? undefined : `${field.message.typeName} cannot be set from URL text`;
    case "list":
      return field.listKind === "message" ? "repeated message fields cannot be set from URL text" : undefined;
    case "map":
      return "map fields cannot be set from URL text";
  }
}

/** The JSON value for one text value of a field (one element, for repeated fields). */
export function textToJson(field: DescField, text: string): TextConversion {
  switch (field.fieldKind) {
    case "scalar":
      return scalarTextToJson(field.scalar, text);
    case "enum":
      return { ok: true, json: enumTextToJson(text) };
    case "message":
      return messageTextToJson(field.message, text);
    case "list":
      if (field.listKind === "scalar") return scalarTextToJson(field.scalar, text);
      if (field.listKind === "enum") return { ok: true, json: enumTextToJson(text) };
      return { ok: false, reason: "repeated message fields cannot be set from URL text" };
    case "map":
      return { ok: false, reason: "map fields cannot be set from URL text" };
  }
}

function messageTakesText(message: DescMessage): boolean {
  return stringFormTypes.has(message.typeName) || isWrapperDesc(message);
}

function messageTextToJson(message: DescMessage, text: string): TextConversion {
  if (stringFormTypes.has(message.typeName)) return { ok: true, json: text };
  if (isWrapperDesc(message)) {
    // A wrapper's JSON form is its scalar's, so `?count=3` fills an Int32Value.
    const value = message.fields[0];
    if (value?.fieldKind === "scalar") return scalarTextToJson(value.scalar, text);
  }
  return { ok: false, reason: `${message.typeName} cannot be set from URL text` };
}

function scalarTextToJson(scalar: ScalarType, text: string): TextConversion {
  switch (scalar) {
    case ScalarType.STRING:
    case ScalarType.BYTES: // base64 or base64url, decoded by protobuf-es
      return { ok: true, json: text };
    case ScalarType.BOOL:
      if (text === "true") return { ok: true, json: true };
      if (text === "false") return { ok: true, json: false };
      return { ok: false, reason: `expected true or false, got "${text}"` };
    default:
      // Numbers stay strings: proto3 JSON accepts quoted numbers for every numeric type and this
      // keeps 64-bit values exact. protobuf-es rejects what is not a number or is out of range.
      if (text.trim() !== text) return { ok: false, reason: `expected a number, got "${text}"` };
      return { ok: true, json: text };
  }
}

function enumTextToJson(text: string): JsonValue {
  // proto3 JSON names enum values by name; URLs commonly use the number too.
  return /^-?\d+$/.test(text) ? Number(text) : text;
}
