// Reading one leaf of a request by field path, to spot a body that disagrees with the URL path.
import { type DescField, type DescMessage, equals, type Message } from "@bufbuild/protobuf";
import { type ReflectMessage, reflect } from "@bufbuild/protobuf/reflect";

/** A leaf's value as reflection returns it, or undefined when it (or a message above it) is unset. */
export function readSetLeaf(schema: DescMessage, message: Message, fields: readonly DescField[]): unknown {
  let current: ReflectMessage = reflect(schema, message);
  for (const [index, field] of fields.entries()) {
    if (!current.isSet(field)) return undefined;
    if (index === fields.length - 1) return leafValue(current, field);
    if (field.fieldKind !== "message") return undefined;
    current = current.get(field);
  }
  return undefined;
}

function leafValue(container: ReflectMessage, field: DescField): unknown {
  return field.fieldKind === "message" ? container.get(field).message : container.get(field);
}

/** Whether two values of the same leaf field are equal (scalars, enums, bytes, messages). */
export function sameLeafValue(field: DescField, a: unknown, b: unknown): boolean {
  if (field.fieldKind === "message") {
    return isMessage(a) && isMessage(b) && equals(field.message, a, b);
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((byte, index) => byte === b[index]);
  }
  return Object.is(a, b);
}

function isMessage(value: unknown): value is Message {
  return typeof value === "object" && value !== null && "$typeName" in value;
}
