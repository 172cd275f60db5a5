import type { DescMethod } from "@bufbuild/protobuf";
import type { ApiAnnotations, HttpBinding } from "./annotations.ts";
import { firstSentence, leadingComment } from "./comments.ts";
import type { SchemaCollector } from "./json-schemas.ts";
import type { JsonSchema, Operation, RequestBody, ResponseObject } from "./openapi-types.ts";
import { boundFieldPaths, pathParameters, queryParameters, resolveFieldPath } from "./parameters.ts";
import type { OpenApiPath } from "./path-template.ts";

/** The name of the security scheme every non-public operation requires. */
export const bearerSchemeName = "bearer";

/** Everything an operation is built from: one binding of one method. */
export interface OperationSource {
  method: DescMethod;
  binding: HttpBinding;
  path: OpenApiPath;
  /** 0 for the primary rule, n for the n-th additional binding. */
  bindingIndex: number;
}

/**
 * One OpenAPI operation. `operationId` is `<Service>_<Method>`; additional bindings of the same
 * method get `_2`, `_3`… because operation ids must be unique in a document.
 */
export function buildOperation(
  source: OperationSource,
  schemas: SchemaCollector,
  annotations: ApiAnnotations,
): Operation {
  const { method, binding, path, bindingIndex } = source;
  const service = method.parent.name;
  const suffix = bindingIndex === 0 ? "" : `_${bindingIndex + 1}`;
  const description = leadingComment(method);
  const pathFields = path.variables.map((v) => v.fieldPath);
  const parameters = [
    ...pathParameters(method.input, path.variables, schemas),
    ...(binding.body === "*"
      ? []
      : queryParameters(method.input, boundFieldPaths(pathFields, binding.body), schemas, annotations)),
  ];
  const requestBody = buildRequestBody(method, binding, pathFields, schemas);
  const isPublic = annotations.allowsAnonymous(method);

  // Built in the order readers expect to find the keys in the JSON.
  const operation: Operation = {
    tags: [service],
    ...(description === undefined ? {} : { summary: firstSentence(description), description }),
    operationId: `${service}_${method.name}${suffix}`,
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(requestBody === undefined ? {} : { requestBody }),
    responses: {
      "200": buildSuccessResponse(method, binding, schemas),
      default: {
        description: "An error, as a google.rpc.Status; the HTTP status is mapped from its gRPC code.",
        content: { "application/json": { schema: schemas.statusRef() } },
      },
    },
    ...(isPublic ? {} : { security: [{ [bearerSchemeName]: [] }] }),
  };
  return operation;
}

/**
 * `body: "*"` sends the request message. When the path binds some of its top-level fields, the
 * body schema is the request's schema without them, written inline, so that a REQUIRED path
 * field (such as `id`) is not also demanded in the body. `body: "field"` sends that field.
 */
function buildRequestBody(
  method: DescMethod,
  binding: HttpBinding,
  pathFields: string[],
  schemas: SchemaCollector,
): RequestBody | undefined {
  if (binding.body === "") return undefined;
  let schema: JsonSchema;
  let description: string | undefined;
  if (binding.body === "*") {
    const topLevel = new Set(pathFields.filter((p) => !p.includes(".")));
    schema = topLevel.size === 0 ? schemas.ref(method.input) : schemas.messageSchema(method.input, topLevel);
    description =
      pathFields.length === 0
        ? `The ${method.input.name} message.`
        : `The ${method.input.name} message; fields bound by the path (${pathFields.map((p) => `\`${p}\``).join(", ")}) are taken from the path.`;
  } else {
    const field = resolveFieldPath(method.input, binding.body);
    schema = schemas.valueSchema(field);
    description = leadingComment(field) ?? `The \`${binding.body}\` field of ${method.input.name}.`;
  }
  if (isStreaming(method, "request")) {
    return {
      required: true,
      description: `A stream of ${description} Newline-delimited JSON, each line is one message.`,
      content: { "application/x-ndjson": { schema } },
    };
  }
  return { required: true, description, content: { "application/json": { schema } } };
}

/**
 * The 200 response: the response message, or its `response_body` field. A server-streaming
 * method answers with newline-delimited JSON, one message per line.
 */
function buildSuccessResponse(method: DescMethod, binding: HttpBinding, schemas: SchemaCollector): ResponseObject {
  const schema =
    binding.responseBody === ""
      ? schemas.ref(method.output)
      : schemas.valueSchema(resolveFieldPath(method.output, binding.responseBody));
  const what =
    binding.responseBody === "" ? method.output.name : `\`${binding.responseBody}\` of ${method.output.name}`;
  if (isStreaming(method, "response")) {
    return {
      description: `A stream of ${what}: newline-delimited JSON, each line is one message.`,
      content: { "application/x-ndjson": { schema } },
    };
  }
  return { description: `The ${what}.`, content: { "application/json": { schema } } };
}

function isStreaming(method: DescMethod, side: "request" | "response"): boolean {
  if (method.methodKind === "bidi_streaming") return true;
  return method.methodKind === (side === "request" ? "client_streaming" : "server_streaming");
}
