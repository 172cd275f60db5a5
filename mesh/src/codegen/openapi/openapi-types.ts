/**
 * The subset of the OpenAPI 3.1 document model this generator writes. Kept narrow on purpose:
 * a field appears here only once the generator emits it, so the types document the output.
 */

/** A JSON Schema (2020-12) as OpenAPI 3.1 embeds it. `$ref` may carry sibling keywords in 3.1. */
export interface JsonSchema {
  $ref?: string;
  type?: JsonType | JsonType[];
  format?: string;
  contentEncoding?: string;
  pattern?: string;
  minimum?: number;
  enum?: (string | null)[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  required?: string[];
  readOnly?: boolean;
  writeOnly?: boolean;
  description?: string;
}

export type JsonType = "string" | "integer" | "number" | "boolean" | "object" | "array" | "null";

export type HttpMethod = "get" | "put" | "post" | "delete" | "patch" | "head" | "options" | "trace";

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description?: string };
  tags: TagObject[];
  paths: Record<string, PathItem>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, SecurityScheme>;
  };
}

export interface TagObject {
  name: string;
  description?: string;
}

export type PathItem = Partial<Record<HttpMethod, Operation>>;

export interface Operation {
  operationId: string;
  tags: string[];
  summary?: string;
  description?: string;
  parameters?: Parameter[];
  requestBody?: RequestBody;
  responses: Record<string, ResponseObject>;
  security?: SecurityRequirement[];
}

export interface Parameter {
  name: string;
  in: "path" | "query";
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

export interface RequestBody {
  required: boolean;
  description?: string;
  content: Record<string, { schema: JsonSchema }>;
}

export interface ResponseObject {
  description: string;
  content?: Record<string, { schema: JsonSchema }>;
}

export type SecurityRequirement = Record<string, string[]>;

export interface SecurityScheme {
  type: "http";
  scheme: "bearer";
  bearerFormat: string;
  description?: string;
}
