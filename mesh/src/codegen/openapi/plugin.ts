import { create, createFileRegistry, type DescFile } from "@bufbuild/protobuf";
import {
  type CodeGeneratorRequest,
  type CodeGeneratorResponse,
  CodeGeneratorResponse_Feature,
  CodeGeneratorResponseSchema,
  Edition,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import type { Plugin } from "@bufbuild/protoplugin";
import { buildOpenApiDocument } from "./document.ts";
import { parseOpenApiOptions } from "./options.ts";

/** The one file the plugin writes, relative to its `out` directory. */
export const openApiFileName = "weft.openapi.json";

/**
 * protoc-gen-weft-openapi: one OpenAPI 3.1 document of the REST surface (`google.api.http`) of
 * every service in the request. It answers the CodeGeneratorRequest itself instead of going
 * through createEcmaScriptPlugin, whose `target` handling treats every generated file as
 * TypeScript (without `target=ts` its default js+dts targets drop the file for transpiling).
 * Errors are reported in the response, as protoc expects, never thrown.
 *
 * A request without any REST binding (after the `packages` filter) writes no file at all: buf
 * runs the plugin once per input of buf.gen.yaml, all into the same `out`, so an empty document
 * from the test fixtures' input would otherwise overwrite the app's.
 */
export const openApiPlugin: Plugin = {
  name: "protoc-gen-weft-openapi",
  version: "v0.1.0",
  run(request: CodeGeneratorRequest): CodeGeneratorResponse {
    try {
      const content = generate(request);
      return success(content === undefined ? [] : [{ name: openApiFileName, content }]);
    } catch (error) {
      return create(CodeGeneratorResponseSchema, {
        error: `protoc-gen-weft-openapi: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  },
};

function generate(request: CodeGeneratorRequest): string | undefined {
  const options = parseOpenApiOptions(request.parameter);
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: request.protoFile }));
  const files = request.fileToGenerate.map((name): DescFile => {
    const file = registry.getFile(name);
    if (file === undefined) throw new Error(`file_to_generate "${name}" is missing from proto_file`);
    return file;
  });
  const document = buildOpenApiDocument({ registry, files, options });
  if (Object.keys(document.paths).length === 0) return undefined;
  return `${JSON.stringify(document, null, 2)}\n`;
}

function success(file: { name: string; content: string }[]): CodeGeneratorResponse {
  return create(CodeGeneratorResponseSchema, {
    supportedFeatures: BigInt(
      CodeGeneratorResponse_Feature.PROTO3_OPTIONAL | CodeGeneratorResponse_Feature.SUPPORTS_EDITIONS,
    ),
    minimumEdition: Edition.EDITION_PROTO2,
    maximumEdition: Edition.EDITION_2023,
    file,
  });
}
