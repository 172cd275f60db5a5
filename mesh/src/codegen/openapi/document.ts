import type { DescFile, Registry } from "@bufbuild/protobuf";
import { ApiAnnotations } from "./annotations.ts";
import { leadingComment } from "./comments.ts";
import { SchemaCollector } from "./json-schemas.ts";
import type { OpenApiDocument, PathItem, TagObject } from "./openapi-types.ts";
import { bearerSchemeName, buildOperation } from "./operations.ts";
import type { OpenApiOptions } from "./options.ts";
import { toOpenApiPath } from "./path-template.ts";

/** What one document is made of. */
export interface DocumentInput {
  registry: Registry;
  /** The files whose services are documented, in the order they should appear. */
  files: DescFile[];
  options: OpenApiOptions;
}

/**
 * One OpenAPI 3.1 document for the REST surface of every service in `files`: a path for every
 * `google.api.http` binding (additional bindings included), the schemas those reach, and bearer
 * security on every operation whose method does not allow anonymous callers.
 */
export function buildOpenApiDocument(input: DocumentInput): OpenApiDocument {
  const annotations = new ApiAnnotations(input.registry);
  const schemas = new SchemaCollector(annotations);
  const paths: Record<string, PathItem> = {};
  const tags: TagObject[] = [];

  for (const file of input.files) {
    if (!matchesPackages(file.proto.package, input.options.packagePrefixes)) continue;
    for (const service of file.services) {
      let documented = false;
      for (const method of service.methods) {
        annotations.httpBindings(method).forEach((binding, bindingIndex) => {
          const path = toOpenApiPath(binding.pathTemplate);
          const item = paths[path.path] ?? {};
          if (item[binding.method] !== undefined) {
            throw new Error(
              `${binding.method.toUpperCase()} ${path.path} is bound twice (again by ${service.typeName}.${method.name})`,
            );
          }
          item[binding.method] = buildOperation({ method, binding, path, bindingIndex }, schemas, annotations);
          paths[path.path] = item;
          documented = true;
        });
      }
      if (documented) {
        const description = leadingComment(service);
        tags.push(description === undefined ? { name: service.name } : { name: service.name, description });
      }
    }
  }

  return {
    openapi: "3.1.0",
    info: { title: input.options.title, version: input.options.version },
    tags,
    paths,
    components: {
      schemas: schemas.components(),
      securitySchemes: {
        [bearerSchemeName]: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "An access token from POST /v1/auth/login, verified by the gateway.",
        },
      },
    },
  };
}

function matchesPackages(protoPackage: string, prefixes: readonly string[]): boolean {
  return prefixes.length === 0 || prefixes.some((prefix) => protoPackage.startsWith(prefix));
}
