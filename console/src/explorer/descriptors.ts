// The app's RPCs from its descriptors (gen/weft.binpb, a FileDescriptorSet): the explorer's list,
// and each request message as a schema the browser turns into a form.
import {
  createFileRegistry,
  type DescExtension,
  type DescField,
  type DescMessage,
  type DescMethod,
  type FileRegistry,
  fromBinary,
  getOption,
  hasOption,
  ScalarType,
  toJson,
} from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { type ConsoleApp, gatewayWorkload, ownerOf } from "../app.ts";

export function loadDescriptors(bytes: Uint8Array): FileRegistry {
  return createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
}

export type MethodKind = "unary" | "server_streaming" | "client_streaming" | "bidi_streaming";

export interface RpcInfo {
  /** "/shop.orders.v1.OrderService/PlaceOrder" */
  path: string;
  service: string;
  method: string;
  kind: MethodKind;
  input: string;
  output: string;
  /** The workload implementing the service, when the app says. */
  workload: string | undefined;
  /** Served by the edge (an http-annotated RPC of an edge service). */
  edge: boolean;
  /** Served by the edge without a token (weft.api.v1.allow_anonymous). */
  anonymous: boolean;
  /** The REST binding, e.g. { verb: "post", path: "/v1/orders" }. */
  http: { verb: string; path: string } | undefined;
}

const infrastructure = /^(google|grpc)\./;

export function listRpcs(registry: FileRegistry, app: ConsoleApp | undefined): RpcInfo[] {
  const httpOption = extension(registry, "google.api.http");
  const anonymousOption = extension(registry, "weft.api.v1.allow_anonymous");
  const rpcs: RpcInfo[] = [];
  for (const file of registry.files) {
    for (const service of file.services) {
      if (infrastructure.test(service.typeName)) continue;
      const workload = ownerOf(app, service.typeName);
      // With an app, its services only: the descriptors also hold test fixtures and libraries.
      if (app !== undefined && workload === undefined) continue;
      const edgeService = app?.services.find((s) => s.name === workload)?.edge ?? false;
      for (const method of service.methods) {
        const http = httpOption && hasOption(method, httpOption) ? httpBinding(method, httpOption) : undefined;
        rpcs.push({
          path: `/${service.typeName}/${method.name}`,
          service: service.typeName,
          method: method.name,
          kind: kindOf(method),
          input: method.input.typeName,
          output: method.output.typeName,
          workload,
          edge: edgeService && http !== undefined && workload !== gatewayWorkload,
          anonymous: anonymousOption !== undefined && getOption(method, anonymousOption) === true,
          http,
        });
      }
    }
  }
  return rpcs.sort((a, b) => a.path.localeCompare(b.path));
}

export function findMethod(registry: FileRegistry, path: string): DescMethod | undefined {
  const match = /^\/([^/]+)\/([^/]+)$/.exec(path);
  if (!match) return undefined;
  return registry.getService(match[1]!)?.methods.find((m) => m.name === match[2]);
}

// ---- request schemas for forms ----

export type ScalarName =
  | "string"
  | "bool"
  | "bytes"
  | "double"
  | "float"
  | "int32"
  | "int64"
  | "uint32"
  | "uint64"
  | "sint32"
  | "sint64"
  | "fixed32"
  | "fixed64"
  | "sfixed32"
  | "sfixed64";

/** Well-known types with a JSON form of their own: entered as one text field. */
export type WellKnown =
  | "timestamp"
  | "duration"
  | "field_mask"
  | "struct"
  | "value"
  | "list_value"
  | "any"
  | "wrapper"
  | "empty";

export type FieldType =
  | { kind: "scalar"; scalar: ScalarName }
  | { kind: "enum"; enum: string; values: string[] }
  | { kind: "message"; message: string; wellKnown?: WellKnown };

export interface FieldSchema {
  /** The proto3 JSON name (what the form writes). */
  name: string;
  protoName: string;
  /** "single" | "list" | "map" */
  cardinality: "single" | "list" | "map";
  type: FieldType;
  /** For maps: the key's scalar type. */
  mapKey?: ScalarName;
  /** Name of the oneof group it belongs to. */
  oneof?: string;
  /** google.api.field_behavior REQUIRED. */
  required: boolean;
}

export interface MessageSchema {
  typeName: string;
  fields: FieldSchema[];
}

/** The schema of a message and every message it reaches, keyed by type name (recursion-safe). */
export function messageSchemas(registry: FileRegistry, typeName: string): Record<string, MessageSchema> {
  const behavior = extension(registry, "google.api.field_behavior");
  const schemas: Record<string, MessageSchema> = {};
  const visit = (message: DescMessage) => {
    if (schemas[message.typeName] || wellKnownOf(message)) return;
    const schema: MessageSchema = { typeName: message.typeName, fields: [] };
    schemas[message.typeName] = schema;
    for (const field of message.fields) {
      schema.fields.push(fieldSchema(field, behavior));
      const nested =
        field.fieldKind === "message"
          ? field.message
          : field.fieldKind === "list" && field.listKind === "message"
            ? field.message
            : field.fieldKind === "map" && field.mapKind === "message"
              ? field.message
              : undefined;
      if (nested) visit(nested);
    }
  };
  const root = registry.getMessage(typeName);
  if (root) visit(root);
  return schemas;
}

function fieldSchema(field: DescField, behavior: DescExtension | undefined): FieldSchema {
  const required =
    behavior !== undefined &&
    hasOption(field, behavior) &&
    (getOption(field, behavior) as unknown as number[]).includes(2);
  const base = { name: field.jsonName, protoName: field.name, oneof: field.oneof?.name, required };
  switch (field.fieldKind) {
    case "scalar":
      return { ...base, cardinality: "single", type: { kind: "scalar", scalar: scalarName(field.scalar) } };
    case "enum":
      return { ...base, cardinality: "single", type: enumType(field.enum) };
    case "message":
      return { ...base, cardinality: "single", type: messageType(field.message) };
    case "list":
      return {
        ...base,
        cardinality: "list",
        type:
          field.listKind === "scalar"
            ? { kind: "scalar", scalar: scalarName(field.scalar) }
            : field.listKind === "enum"
              ? enumType(field.enum)
              : messageType(field.message),
      };
    case "map":
      return {
        ...base,
        cardinality: "map",
        mapKey: scalarName(field.mapKey),
        type:
          field.mapKind === "scalar"
            ? { kind: "scalar", scalar: scalarName(field.scalar) }
            : field.mapKind === "enum"
              ? enumType(field.enum)
              : messageType(field.message),
      };
  }
}

function enumType(desc: { typeName: string; values: ReadonlyArray<{ name: string }> }): FieldType {
  return { kind: "enum", enum: desc.typeName, values: desc.values.map((v) => v.name) };
}

function messageType(message: DescMessage): FieldType {
  const wellKnown = wellKnownOf(message);
  return wellKnown
    ? { kind: "message", message: message.typeName, wellKnown }
    : { kind: "message", message: message.typeName };
}

function wellKnownOf(message: DescMessage): WellKnown | undefined {
  switch (message.typeName) {
    case "google.protobuf.Timestamp":
      return "timestamp";
    case "google.protobuf.Duration":
      return "duration";
    case "google.protobuf.FieldMask":
      return "field_mask";
    case "google.protobuf.Struct":
      return "struct";
    case "google.protobuf.Value":
      return "value";
    case "google.protobuf.ListValue":
      return "list_value";
    case "google.protobuf.Any":
      return "any";
    case "google.protobuf.Empty":
      return "empty";
    default:
      return message.typeName.startsWith("google.protobuf.") && message.typeName.endsWith("Value")
        ? "wrapper"
        : undefined;
  }
}

function scalarName(scalar: ScalarType): ScalarName {
  return (ScalarType[scalar] ?? "string").toLowerCase() as ScalarName;
}

function kindOf(method: DescMethod): MethodKind {
  return method.methodKind === "server_streaming"
    ? "server_streaming"
    : method.methodKind === "client_streaming"
      ? "client_streaming"
      : method.methodKind === "bidi_streaming"
        ? "bidi_streaming"
        : "unary";
}

function extension(registry: FileRegistry, name: string): DescExtension | undefined {
  return registry.getExtension(name);
}

function httpBinding(method: DescMethod, option: DescExtension): { verb: string; path: string } | undefined {
  if (option.fieldKind !== "message") return undefined;
  const rule = toJson(option.message, getOption(method, option) as never) as Record<string, unknown>;
  for (const verb of ["get", "post", "put", "patch", "delete"]) {
    if (typeof rule[verb] === "string") return { verb, path: rule[verb] as string };
  }
  const custom = rule.custom as { kind?: string; path?: string } | undefined;
  return custom?.path ? { verb: custom.kind ?? "custom", path: custom.path } : undefined;
}
