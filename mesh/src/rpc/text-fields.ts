import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { type FieldViolation, invalidArgument } from "./errors.ts";

/**
 * The mesh's one rule for text in requests, applied to every string field of every request
 * before a handler runs, so no service has to remember it (and no database sees a NUL, which
 * PostgreSQL refuses in text with an error that used to surface as INTERNAL):
 *
 * - no C0 control characters except tab, line feed and carriage return (multi-line text such
 *   as a note or an address is legitimate; a NUL or an escape sequence is not), no DEL, no C1
 *   controls (U+0080–U+009F);
 * - no unpaired UTF-16 surrogates (only an in-process caller can produce one: protobuf decodes
 *   invalid UTF-8 from the wire to U+FFFD, which is ordinary text).
 */
const forbidden =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** What is wrong with a piece of text by the rule above, or undefined when it is fine. */
export function textProblem(value: string): string | undefined {
  const found = forbidden.exec(value);
  if (found === null) return undefined;
  const unit = found[0].charCodeAt(0);
  if (unit >= 0xd800) return `must be well-formed Unicode text (unpaired surrogate at ${found.index})`;
  const code = unit.toString(16).toUpperCase().padStart(4, "0");
  return `must not contain control characters (U+${code} at ${found.index})`;
}

/** More than this many and the caller has learned enough; walking a huge request stops there. */
const maxViolations = 20;

type Walk = (message: Readonly<Record<string, unknown>>, path: string, found: FieldViolation[]) => void;

/** null: the message type cannot hold text anywhere (most checks end at this lookup). */
const walks = new WeakMap<DescMessage, Walk | null>();

/**
 * Every string in `message` that breaks the text rule, with its field path in proto names:
 * `items[0].name`, `labels["color"]`, `notes[2]`. Walks nested, repeated, map and oneof fields
 * by the message's descriptor.
 */
export function textViolations(schema: DescMessage, message: unknown): FieldViolation[] {
  const walk = walkFor(schema);
  const found: FieldViolation[] = [];
  if (walk !== null && isRecord(message)) walk(message, "", found);
  return found;
}

/** Throws INVALID_ARGUMENT with a field violation per bad string, if `message` has any. */
export function refuseBadText(schema: DescMessage, message: unknown): void {
  const found = textViolations(schema, message);
  if (found.length > 0) throw invalidArgument(found);
}

/** Whether any request of this type can carry text, i.e. whether checking it can find anything. */
export function carriesText(schema: DescMessage): boolean {
  return walkFor(schema) !== null;
}

function walkFor(schema: DescMessage): Walk | null {
  const known = walks.get(schema);
  if (known !== undefined) return known;
  if (!holdsText(schema, new Set())) {
    walks.set(schema, null);
    return null;
  }
  // Registered before the fields are compiled, so a recursive type (Struct ↔ Value) finds itself.
  const steps: Walk[] = [];
  const walk: Walk = (message, path, found) => {
    for (const step of steps) {
      if (found.length >= maxViolations) return;
      step(message, path, found);
    }
  };
  walks.set(schema, walk);
  for (const field of schema.fields) {
    const step = stepFor(field);
    if (step !== undefined) steps.push(step);
  }
  return walk;
}

/** Does the type, or any type it contains, have a string field or a string map key? */
function holdsText(schema: DescMessage, seen: Set<DescMessage>): boolean {
  if (seen.has(schema)) return false;
  seen.add(schema);
  return schema.fields.some((field) => {
    switch (field.fieldKind) {
      case "scalar":
        return field.scalar === ScalarType.STRING;
      case "list":
        return field.listKind === "scalar"
          ? field.scalar === ScalarType.STRING
          : field.listKind === "message" && holdsText(field.message, seen);
      case "map":
        return (
          field.mapKey === ScalarType.STRING ||
          (field.mapKind === "scalar" && field.scalar === ScalarType.STRING) ||
          (field.mapKind === "message" && holdsText(field.message, seen))
        );
      case "message":
        return holdsText(field.message, seen);
      default:
        return false;
    }
  });
}

/** The check of one field, or undefined when it cannot hold text. */
function stepFor(field: DescField): Walk | undefined {
  const read = reader(field);
  const name = field.name;
  switch (field.fieldKind) {
    case "scalar":
      if (field.scalar !== ScalarType.STRING) return undefined;
      return (message, path, found) => checkText(read(message), join(path, name), found);
    case "message": {
      const nested = field.message;
      if (walkFor(nested) === null) return undefined;
      // Singular wrapper fields (google.protobuf.StringValue) are unboxed to a plain string.
      return (message, path, found) => checkValue(nested, read(message), join(path, name), found);
    }
    case "list": {
      if (field.listKind === "enum") return undefined;
      if (field.listKind === "scalar" && field.scalar !== ScalarType.STRING) return undefined;
      const nested = field.listKind === "message" ? field.message : undefined;
      if (nested !== undefined && walkFor(nested) === null) return undefined;
      return (message, path, found) => {
        const list = read(message);
        if (!Array.isArray(list)) return;
        const at = join(path, name);
        for (let i = 0; i < list.length && found.length < maxViolations; i++) {
          if (nested === undefined) checkText(list[i], `${at}[${i}]`, found);
          else checkValue(nested, list[i], `${at}[${i}]`, found);
        }
      };
    }
    case "map": {
      const keysAreText = field.mapKey === ScalarType.STRING;
      const valuesAreText = field.mapKind === "scalar" && field.scalar === ScalarType.STRING;
      const nested = field.mapKind === "message" && walkFor(field.message) !== null ? field.message : undefined;
      if (!keysAreText && !valuesAreText && nested === undefined) return undefined;
      return (message, path, found) => {
        const map = read(message);
        if (!isRecord(map)) return;
        const at = join(path, name);
        for (const [key, value] of Object.entries(map)) {
          if (found.length >= maxViolations) return;
          const entry = `${at}[${JSON.stringify(key)}]`;
          if (keysAreText) checkText(key, entry, found);
          if (valuesAreText) checkText(value, entry, found);
          else if (nested !== undefined) checkValue(nested, value, entry, found);
        }
      };
    }
    case "enum":
      return undefined;
  }
}

/** Reads a field's value: a oneof member lives in `{ case, value }` under the oneof's name. */
function reader(field: DescField): (message: Readonly<Record<string, unknown>>) => unknown {
  const oneof = field.oneof;
  const local = field.localName;
  if (oneof === undefined) return (message) => message[local];
  const group = oneof.localName;
  return (message) => {
    const selected = message[group];
    return isRecord(selected) && selected.case === local ? selected.value : undefined;
  };
}

function checkValue(schema: DescMessage, value: unknown, path: string, found: FieldViolation[]): void {
  if (typeof value === "string") checkText(value, path, found);
  else if (isRecord(value)) walkFor(schema)?.(value, path, found);
}

function checkText(value: unknown, path: string, found: FieldViolation[]): void {
  if (typeof value !== "string" || value === "") return;
  const problem = textProblem(value);
  if (problem !== undefined) found.push({ field: path, description: problem });
}

function join(path: string, name: string): string {
  return path === "" ? name : `${path}.${name}`;
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null;
}
