import type { JsonSchema, JsonType } from "./openapi-types.ts";

/**
 * The proto3 JSON mapping of the well-known types, which is not the mapping their fields would
 * get: a Timestamp is an RFC 3339 string, a wrapper is its bare scalar or `null`, and so on.
 * Written out by hand because the mapping is defined by the spec, not by the descriptors.
 */
export const wellKnownTypeSchemas: Readonly<Record<string, JsonSchema>> = {
  "google.protobuf.Timestamp": {
    type: "string",
    format: "date-time",
    description: 'An instant as an RFC 3339 string in UTC, such as "2024-05-01T12:00:00Z".',
  },
  "google.protobuf.Duration": {
    type: "string",
    pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$",
    description: 'A span of time in seconds with an "s" suffix, such as "1.5s" or "300s".',
  },
  "google.protobuf.FieldMask": {
    type: "string",
    description: 'Field paths in lowerCamelCase separated by commas, such as "name,price.amountMinor".',
  },
  "google.protobuf.Struct": {
    type: "object",
    additionalProperties: true,
    description: "Any JSON object.",
  },
  "google.protobuf.Value": { description: "Any JSON value." },
  "google.protobuf.ListValue": { type: "array", items: {}, description: "Any JSON array." },
  "google.protobuf.NullValue": { type: "null", description: "JSON null." },
  "google.protobuf.Empty": { type: "object", description: "An empty JSON object." },
  "google.protobuf.Any": {
    type: "object",
    required: ["@type"],
    properties: {
      "@type": {
        type: "string",
        description: 'The type URL of the embedded message, such as "type.googleapis.com/google.rpc.ErrorInfo".',
      },
    },
    additionalProperties: true,
    description:
      "A message of any type: its JSON fields plus `@type`; a well-known type with a special JSON form is under `value`.",
  },
  "google.protobuf.DoubleValue": nullable({ type: "number", format: "double" }),
  "google.protobuf.FloatValue": nullable({ type: "number", format: "float" }),
  "google.protobuf.Int64Value": nullable({ type: "string", format: "int64" }),
  "google.protobuf.UInt64Value": nullable({ type: "string", format: "uint64" }),
  "google.protobuf.Int32Value": nullable({ type: "integer", format: "int32" }),
  "google.protobuf.UInt32Value": nullable({ type: "integer", format: "uint32", minimum: 0 }),
  "google.protobuf.BoolValue": nullable({ type: "boolean" }),
  "google.protobuf.StringValue": nullable({ type: "string" }),
  "google.protobuf.BytesValue": nullable({ type: "string", contentEncoding: "base64" }),
};

/** The name `default` responses refer to; see {@link statusSchema}. */
export const statusTypeName = "google.rpc.Status";

/**
 * The JSON error body of every failed call. Written out rather than derived from
 * google/rpc/status.proto because the document needs it even when no input imports that file.
 */
export const statusSchema: JsonSchema = {
  type: "object",
  description:
    "An error: the gRPC status code, a developer-facing message and typed details (such as " +
    "google.rpc.BadRequest or google.rpc.ErrorInfo). The HTTP status is mapped from the code.",
  properties: {
    code: { type: "integer", format: "int32", description: "The google.rpc.Code value, such as 5 for NOT_FOUND." },
    message: { type: "string", description: "A developer-facing error message in English." },
    details: {
      type: "array",
      items: { $ref: "#/components/schemas/google.protobuf.Any" },
      description: "Messages that carry the error details.",
    },
  },
};

function nullable(schema: JsonSchema & { type: JsonType }): JsonSchema {
  return {
    ...schema,
    type: [schema.type, "null"],
    description: `A wrapper: the bare ${schema.type} value, or null when unset.`,
  };
}
