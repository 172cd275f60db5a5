import { type DescEnum, type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import type { ApiAnnotations } from "./annotations.ts";
import { joinDescriptions, leadingComment } from "./comments.ts";
import type { JsonSchema } from "./openapi-types.ts";
import { statusSchema, statusTypeName, wellKnownTypeSchemas } from "./well-known-types.ts";

/**
 * Builds JSON Schemas in the proto3 JSON mapping and collects, as `components.schemas`, every
 * message and enum they reach. Every message and enum is referenced by `$ref` under its full
 * proto name (`example.billing.v1.Invoice`), well-known types included, so one type has one schema.
 */
export class SchemaCollector {
  readonly #annotations: ApiAnnotations;
  readonly #components = new Map<string, JsonSchema>();

  constructor(annotations: ApiAnnotations) {
    this.#annotations = annotations;
  }

  /** The collected schemas, sorted by name so the output does not depend on traversal order. */
  components(): Record<string, JsonSchema> {
    const names = [...this.#components.keys()].sort();
    return Object.fromEntries(names.map((name) => [name, this.#components.get(name) ?? {}]));
  }

  /** A `$ref` to the schema of a message or enum, collecting it (and what it reaches) once. */
  ref(desc: DescMessage | DescEnum): JsonSchema {
    if (!this.#components.has(desc.typeName)) {
      // Registered before it is built so that recursive messages end in a `$ref`, not a loop.
      this.#components.set(desc.typeName, {});
      this.#components.set(desc.typeName, this.#build(desc));
    }
    return { $ref: componentRef(desc.typeName) };
  }

  /** A `$ref` to google.rpc.Status, the JSON body of every error. */
  statusRef(): JsonSchema {
    this.#components.set(statusTypeName, statusSchema);
    this.#components.set("google.protobuf.Any", anyWellKnown());
    return { $ref: componentRef(statusTypeName) };
  }

  /**
   * An object schema of a message's fields, leaving out `omit` (proto field names). Used
   * directly for request bodies that exclude path-bound fields, and for every message schema.
   */
  messageSchema(message: DescMessage, omit: ReadonlySet<string> = new Set()): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const field of message.fields) {
      if (omit.has(field.name)) continue;
      properties[field.jsonName] = this.fieldSchema(field);
      if (this.#annotations.fieldBehaviors(field).has("REQUIRED")) required.push(field.jsonName);
    }
    const schema: JsonSchema = { type: "object", properties };
    if (required.length > 0) schema.required = required;
    const description = leadingComment(message);
    if (description !== undefined) schema.description = description;
    return schema;
  }

  /** The schema of a field's JSON value, with its comment and field behaviors. */
  fieldSchema(field: DescField): JsonSchema {
    const schema = this.valueSchema(field);
    const behaviors = this.#annotations.fieldBehaviors(field);
    if (behaviors.has("OUTPUT_ONLY")) schema.readOnly = true;
    if (behaviors.has("INPUT_ONLY")) schema.writeOnly = true;
    const description = joinDescriptions(leadingComment(field), oneofNote(field), behaviorNote(behaviors));
    if (description !== undefined) schema.description = description;
    return schema;
  }

  /** The schema of a field's JSON value alone: no description, no behaviors. */
  valueSchema(field: DescField): JsonSchema {
    switch (field.fieldKind) {
      case "scalar":
        return scalarSchema(field.scalar);
      case "enum":
        return this.ref(field.enum);
      case "message":
        return this.ref(field.message);
      case "list":
        return { type: "array", items: this.#elementSchema(field) };
      case "map":
        // JSON object keys are always strings; integer and bool keys are written as their text.
        return { type: "object", additionalProperties: this.#mapValueSchema(field) };
    }
  }

  #elementSchema(field: DescField & { fieldKind: "list" }): JsonSchema {
    switch (field.listKind) {
      case "scalar":
        return scalarSchema(field.scalar);
      case "enum":
        return this.ref(field.enum);
      case "message":
        return this.ref(field.message);
    }
  }

  #mapValueSchema(field: DescField & { fieldKind: "map" }): JsonSchema {
    switch (field.mapKind) {
      case "scalar":
        return scalarSchema(field.scalar);
      case "enum":
        return this.ref(field.enum);
      case "message":
        return this.ref(field.message);
    }
  }

  #build(desc: DescMessage | DescEnum): JsonSchema {
    const wellKnown = wellKnownTypeSchemas[desc.typeName];
    if (wellKnown !== undefined) return wellKnown;
    return desc.kind === "enum" ? enumSchema(desc) : this.messageSchema(desc);
  }
}

/** Where a collected schema lives in the document. */
export function componentRef(typeName: string): string {
  return `#/components/schemas/${typeName}`;
}

/** Whether the message is a well-known type with its own JSON form. */
export function isWellKnownType(message: DescMessage): boolean {
  return wellKnownTypeSchemas[message.typeName] !== undefined;
}

/** Whether the message has a special JSON form that a query parameter can carry as one value. */
export function isScalarLikeWellKnownType(message: DescMessage): boolean {
  const schema = wellKnownTypeSchemas[message.typeName];
  const type = Array.isArray(schema?.type) ? schema.type[0] : schema?.type;
  return type === "string" || type === "integer" || type === "number" || type === "boolean";
}

/** Enums are written as the names of their values. */
function enumSchema(desc: DescEnum): JsonSchema {
  const values = desc.values.map((v) => {
    const comment = leadingComment(v);
    return comment === undefined ? `- \`${v.name}\`` : `- \`${v.name}\`: ${comment.replace(/\s*\n\s*/g, " ")}`;
  });
  return {
    type: "string",
    enum: desc.values.map((v) => v.name),
    description: joinDescriptions(leadingComment(desc), values.join("\n")),
  };
}

/**
 * Scalars in the proto3 JSON mapping. 64-bit integers are strings because JSON numbers lose
 * precision past 2^53 in JavaScript; proto3 JSON parsers accept numbers for them too.
 */
export function scalarSchema(scalar: ScalarType): JsonSchema {
  switch (scalar) {
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: "integer", format: "int32" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", format: "uint32", minimum: 0 };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return { type: "string", format: "int64" };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: "string", format: "uint64" };
    case ScalarType.FLOAT:
      return { type: "number", format: "float" };
    case ScalarType.DOUBLE:
      return { type: "number", format: "double" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BYTES:
      return { type: "string", contentEncoding: "base64" };
  }
}

/** JSON Schema cannot say "at most one of these properties" readably, so the comment does. */
function oneofNote(field: DescField): string | undefined {
  const oneof = field.oneof;
  if (oneof === undefined) return undefined;
  const members = oneof.fields.map((f) => `\`${f.jsonName}\``).join(", ");
  return `Part of oneof \`${oneof.name}\`: at most one of ${members} is set.`;
}

function behaviorNote(behaviors: ReadonlySet<string>): string | undefined {
  if (behaviors.has("OUTPUT_ONLY")) return "Output only: set by the server, ignored in requests.";
  if (behaviors.has("IMMUTABLE")) return "Immutable: set on create, never changed afterwards.";
  return undefined;
}

function anyWellKnown(): JsonSchema {
  return wellKnownTypeSchemas["google.protobuf.Any"] ?? { type: "object" };
}
