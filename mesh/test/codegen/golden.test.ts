import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { create, fromBinary } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { weftPlugin } from "../../src/codegen/plugin.ts";

const root = new URL("../../../", import.meta.url);
const golden = new URL("../golden/echo_weft.ts.golden", import.meta.url);

/** Compiles the fixture proto with buf and runs the plugin in-process on it, as protoc would. */
function generate(parameter: string) {
  const image = execFileSync("node_modules/.bin/buf", ["build", "mesh/test/proto", "-o", "-#format=binpb"], {
    cwd: root,
  });
  const files = fromBinary(FileDescriptorSetSchema, image).file;
  const request = create(CodeGeneratorRequestSchema, {
    fileToGenerate: ["weft/echo/v1/echo.proto"],
    parameter,
    protoFile: files,
  });
  return weftPlugin.run(request);
}

describe("protoc-gen-weft", () => {
  it("writes the golden output for a service with every method kind", () => {
    const response = generate("target=ts,import_extension=js");
    expect(response.error ?? "").toBe("");
    expect(response.file.map((f) => f.name)).toEqual(["weft/echo/v1/echo_weft.ts"]);
    const content = response.file[0]?.content ?? "";
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(golden, content);
    expect(content).toBe(readFileSync(golden, "utf8"));
  });

  it("emits wire paths, stream flags and codecs for every method", () => {
    const content = generate("target=ts").file[0]?.content ?? "";
    for (const [name, requestStream, responseStream] of [
      ["Echo", false, false],
      ["Count", false, true],
      ["Collect", true, false],
      ["Chat", true, true],
    ] as const) {
      expect(content).toContain(
        `path: "/weft.echo.v1.EchoService/${name}",\n    requestStream: ${requestStream},\n    responseStream: ${responseStream},`,
      );
    }
    expect(content).toContain("export function createEchoServiceClient(transport: ClientTransport): EchoServiceClient");
  });

  it("writes nothing for files without services", () => {
    const image = execFileSync("node_modules/.bin/buf", ["build", "mesh/test/proto", "-o", "-#format=binpb"], {
      cwd: root,
    });
    const files = fromBinary(FileDescriptorSetSchema, image).file;
    const timestamp = files.find((f) => f.name === "google/protobuf/timestamp.proto");
    expect(timestamp).toBeDefined();
    const response = weftPlugin.run(
      create(CodeGeneratorRequestSchema, {
        fileToGenerate: ["google/protobuf/timestamp.proto"],
        parameter: "target=ts",
        protoFile: files,
      }),
    );
    expect(response.file).toEqual([]);
  });
});
