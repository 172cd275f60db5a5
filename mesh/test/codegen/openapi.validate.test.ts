import { execFileSync } from "node:child_process";
import { create, fromBinary } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { openApiPlugin } from "../../src/codegen/openapi/plugin.ts";

const root = new URL("../../../", import.meta.url);

/** The document the plugin writes for the shop, as parsed JSON. */
function shopDocument(): Record<string, unknown> {
  const image = execFileSync("node_modules/.bin/buf", ["build", "proto", "-o", "-#format=binpb"], { cwd: root });
  const files = fromBinary(FileDescriptorSetSchema, image).file;
  const response = openApiPlugin.run(
    create(CodeGeneratorRequestSchema, {
      fileToGenerate: files.filter((f) => f.name.startsWith("shop/")).map((f) => f.name),
      parameter: "packages=shop.,title=Weft shop API",
      protoFile: files,
    }),
  );
  expect(response.error ?? "").toBe("");
  return JSON.parse(response.file[0]?.content ?? "null") as Record<string, unknown>;
}

describe("the shop's OpenAPI document", () => {
  it("validates as OpenAPI 3.1 and every $ref resolves (@seriousme/openapi-schema-validator)", async () => {
    const validator = new Validator();
    const result = await validator.validate(shopDocument());
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    // resolveRefs throws on a $ref that points nowhere.
    expect(() => validator.resolveRefs()).not.toThrow();
  });
});
