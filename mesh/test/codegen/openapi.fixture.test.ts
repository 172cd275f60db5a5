import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { create, fromBinary } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, describe, expect, it } from "vitest";
import type { JsonSchema, OpenApiDocument, Operation } from "../../src/codegen/openapi/openapi-types.ts";
import { parseOpenApiOptions } from "../../src/codegen/openapi/options.ts";
import { segmentsRegex, toOpenApiPath } from "../../src/codegen/openapi/path-template.ts";
import { openApiPlugin } from "../../src/codegen/openapi/plugin.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * A fixture with every HTTP rule and JSON mapping case the shop does not use (yet): additional
 * bindings, response_body, custom verbs, multi-segment variables, maps, oneofs, wrappers…
 */
const fixtureProto = `
syntax = "proto3";

// A fixture for the OpenAPI generator.
package fixture.v1;

import "google/api/annotations.proto";
import "google/api/field_behavior.proto";
import "google/protobuf/any.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/empty.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

// LibraryService lends books.
service LibraryService {
  // GetBook reads one book. It has a second route.
  rpc GetBook(GetBookRequest) returns (Book) {
    option (google.api.http) = {
      get: "/v1/{name=shelves/*/books/*}"
      additional_bindings { get: "/v1/books/{name}" }
    };
  }
  // ListBooks lists a shelf.
  rpc ListBooks(ListBooksRequest) returns (ListBooksResponse) {
    option (google.api.http) = {
      get: "/v1/shelves/{shelf}/books"
      response_body: "books"
    };
  }
  // UpdateBook changes a book.
  rpc UpdateBook(UpdateBookRequest) returns (Book) {
    option (google.api.http) = {
      patch: "/v2/{book.name=shelves/*/books/*}"
      body: "book"
    };
  }
  // DeleteBook removes a book.
  rpc DeleteBook(DeleteBookRequest) returns (google.protobuf.Empty) {
    option (google.api.http) = {delete: "/v1/books/{name}"};
  }
  // CheckBook says whether a book exists.
  rpc CheckBook(GetBookRequest) returns (google.protobuf.Empty) {
    option (google.api.http) = {
      custom: {kind: "HEAD" path: "/v1/books/{name}"}
    };
  }
  // WatchBooks streams every change.
  rpc WatchBooks(WatchBooksRequest) returns (stream Book) {
    option (google.api.http) = {
      post: "/v1/books:watch"
      body: "*"
    };
  }
  // Reindex has no REST route.
  rpc Reindex(ReindexRequest) returns (ReindexResponse);
}

// Kinds of book.
enum Genre {
  // Unknown.
  GENRE_UNSPECIFIED = 0;
  // Made up.
  GENRE_FICTION = 1;
}

// A book.
message Book {
  // Resource name.
  string name = 1 [(google.api.field_behavior) = IDENTIFIER];
  // Title.
  string title = 2 [(google.api.field_behavior) = REQUIRED];
  uint64 copies_sold = 3;
  sint32 rating = 4;
  fixed64 isbn = 5;
  double price = 6;
  float weight = 7;
  bytes cover = 8;
  Genre genre = 9;
  repeated string authors = 10;
  map<string, int64> stock_by_store = 11;
  oneof format {
    string ebook_url = 12;
    int32 page_count = 13;
  }
  google.protobuf.Timestamp create_time = 14 [(google.api.field_behavior) = OUTPUT_ONLY];
  google.protobuf.Duration read_time = 15;
  google.protobuf.Int64Value print_run = 16;
  google.protobuf.StringValue subtitle = 17;
  google.protobuf.Struct metadata = 18;
  google.protobuf.Value extra = 19;
  google.protobuf.Any attachment = 20;
  string secret = 21 [(google.api.field_behavior) = INPUT_ONLY];
  Book sequel = 22;
  string note = 23 [json_name = "annotation"];
  optional bool signed = 24;
}

message GetBookRequest {
  string name = 1 [(google.api.field_behavior) = REQUIRED];
}

message Range {
  double min = 1;
  double max = 2;
}

message Filter {
  string author = 1;
  Genre genre = 2;
  Range price = 3;
}

message Node {
  string label = 1;
  Node child = 2;
}

message ListBooksRequest {
  string shelf = 1;
  int32 page_size = 2;
  Filter filter = 3;
  repeated Genre genres = 4;
  repeated string ids = 5;
  map<string, string> labels = 6;
  google.protobuf.Timestamp since = 7;
  google.protobuf.Struct query = 8;
  repeated Range ranges = 9;
  Node tree = 10;
}

message ListBooksResponse {
  repeated Book books = 1;
  string next_page_token = 2;
}

message UpdateBookRequest {
  Book book = 1 [(google.api.field_behavior) = REQUIRED];
  google.protobuf.FieldMask update_mask = 2;
}

message DeleteBookRequest {
  string name = 1;
  bool force = 2;
}

message WatchBooksRequest {
  string shelf = 1;
}

message ReindexRequest {}

message ReindexResponse {}
`;

const workspace = mkdtempSync(join(tmpdir(), "weft-openapi-"));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

/**
 * Compiles the fixture with buf in a scratch workspace. The googleapis files it imports are
 * copied there from the google-proto-files package for the duration of the test only.
 */
function fixtureImage() {
  mkdirSync(join(workspace, "google/api"), { recursive: true });
  mkdirSync(join(workspace, "fixture/v1"), { recursive: true });
  for (const name of ["annotations.proto", "http.proto", "field_behavior.proto"]) {
    copyFileSync(join(root, "node_modules/google-proto-files/google/api", name), join(workspace, "google/api", name));
  }
  writeFileSync(join(workspace, "fixture/v1/fixture.proto"), fixtureProto);
  writeFileSync(join(workspace, "buf.yaml"), "version: v2\n");
  const image = execFileSync(join(root, "node_modules/.bin/buf"), ["build", ".", "-o", "-#format=binpb"], {
    cwd: workspace,
  });
  return fromBinary(FileDescriptorSetSchema, image).file;
}

function run(parameter: string, fileToGenerate = ["fixture/v1/fixture.proto"]) {
  return openApiPlugin.run(create(CodeGeneratorRequestSchema, { fileToGenerate, parameter, protoFile: files }));
}

const files = fixtureImage();
const doc = JSON.parse(run("").file[0]?.content ?? "null") as OpenApiDocument;
const schemas = doc.components.schemas;

function op(method: "get" | "patch" | "delete" | "head" | "post", path: string): Operation {
  const found = doc.paths[path]?.[method];
  if (found === undefined) throw new Error(`no ${method} ${path}`);
  return found;
}

function property(type: string, name: string): JsonSchema | undefined {
  return schemas[type]?.properties?.[name];
}

describe("protoc-gen-weft-openapi HTTP rules", () => {
  it("documents additional bindings with their own operation id", () => {
    expect(op("get", "/v1/{name}").operationId).toBe("LibraryService_GetBook");
    expect(op("get", "/v1/books/{name}").operationId).toBe("LibraryService_GetBook_2");
  });

  it("merges routes on one path into one path item, custom verbs included", () => {
    expect(Object.keys(doc.paths["/v1/books/{name}"] ?? {}).sort()).toEqual(["delete", "get", "head"]);
    expect(op("head", "/v1/books/{name}").operationId).toBe("LibraryService_CheckBook");
  });

  it("keeps multi-segment variables as one parameter with a pattern", () => {
    const name = op("get", "/v1/{name}").parameters?.[0];
    expect(name).toMatchObject({
      name: "name",
      in: "path",
      required: true,
      schema: { pattern: "^shelves/[^/]+/books/[^/]+$" },
    });
    expect(name?.description).toContain("`shelves/*/books/*`");
    expect(op("patch", "/v2/{book.name}").parameters?.[0]?.name).toBe("book.name");
  });

  it("walks nested messages into dotted query parameters and skips what a query cannot carry", () => {
    const params = op("get", "/v1/shelves/{shelf}/books").parameters ?? [];
    expect(params.map((p) => `${p.in}:${p.name}`)).toEqual([
      "path:shelf",
      "query:pageSize",
      "query:filter.author",
      "query:filter.genre",
      "query:filter.price.min",
      "query:filter.price.max",
      "query:genres",
      "query:ids",
      "query:since",
      "query:tree.label",
    ]);
    expect(params.find((p) => p.name === "ids")?.schema).toEqual({ type: "array", items: { type: "string" } });
    expect(params.find((p) => p.name === "genres")?.schema).toEqual({
      type: "array",
      items: { $ref: "#/components/schemas/fixture.v1.Genre" },
    });
    expect(params.find((p) => p.name === "since")?.schema).toEqual({
      $ref: "#/components/schemas/google.protobuf.Timestamp",
    });
  });

  it("answers with the response_body field", () => {
    expect(op("get", "/v1/shelves/{shelf}/books").responses["200"]?.content?.["application/json"]?.schema).toEqual({
      type: "array",
      items: { $ref: "#/components/schemas/fixture.v1.Book" },
    });
  });

  it("takes body:field from the body and other fields from the query", () => {
    const update = op("patch", "/v2/{book.name}");
    expect(update.requestBody?.content["application/json"]?.schema).toEqual({
      $ref: "#/components/schemas/fixture.v1.Book",
    });
    expect(update.parameters?.map((p) => p.name)).toEqual(["book.name", "updateMask"]);
  });

  it("gives methods without a body no requestBody, and body:* no query parameters", () => {
    expect(op("delete", "/v1/books/{name}").requestBody).toBeUndefined();
    expect(op("delete", "/v1/books/{name}").parameters?.map((p) => p.name)).toEqual(["name", "force"]);
    const watch = op("post", "/v1/books:watch");
    expect(watch.parameters).toBeUndefined();
    expect(watch.requestBody?.content["application/json"]?.schema).toEqual({
      $ref: "#/components/schemas/fixture.v1.WatchBooksRequest",
    });
    expect(Object.keys(watch.responses["200"]?.content ?? {})).toEqual(["application/x-ndjson"]);
  });

  it("documents only methods with a REST route", () => {
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((o) => o.operationId));
    expect(ids).not.toContain("LibraryService_Reindex");
    expect(schemas["fixture.v1.ReindexResponse"]).toBeUndefined();
  });
});

describe("protoc-gen-weft-openapi JSON mapping", () => {
  it("maps scalars", () => {
    expect(property("fixture.v1.Book", "copiesSold")).toEqual({ type: "string", format: "uint64" });
    expect(property("fixture.v1.Book", "rating")).toEqual({ type: "integer", format: "int32" });
    expect(property("fixture.v1.Book", "isbn")).toEqual({ type: "string", format: "uint64" });
    expect(property("fixture.v1.Book", "price")).toEqual({ type: "number", format: "double" });
    expect(property("fixture.v1.Book", "weight")).toEqual({ type: "number", format: "float" });
    expect(property("fixture.v1.Book", "cover")).toEqual({ type: "string", contentEncoding: "base64" });
    expect(property("fixture.v1.Book", "signed")).toEqual({ type: "boolean" });
  });

  it("uses json_name for property names", () => {
    expect(property("fixture.v1.Book", "annotation")).toEqual({ type: "string" });
    expect(property("fixture.v1.Book", "note")).toBeUndefined();
  });

  it("maps enums, repeated fields, maps and recursive messages", () => {
    expect(schemas["fixture.v1.Genre"]).toMatchObject({ type: "string", enum: ["GENRE_UNSPECIFIED", "GENRE_FICTION"] });
    expect(schemas["fixture.v1.Genre"]?.description).toContain("- `GENRE_FICTION`: Made up.");
    expect(property("fixture.v1.Book", "authors")).toEqual({ type: "array", items: { type: "string" } });
    expect(property("fixture.v1.Book", "stockByStore")).toEqual({
      type: "object",
      additionalProperties: { type: "string", format: "int64" },
    });
    expect(property("fixture.v1.Book", "sequel")).toEqual({ $ref: "#/components/schemas/fixture.v1.Book" });
  });

  it("documents oneof members", () => {
    expect(property("fixture.v1.Book", "ebookUrl")?.description).toBe(
      "Part of oneof `format`: at most one of `ebookUrl`, `pageCount` is set.",
    );
  });

  it("maps field behaviors", () => {
    expect(schemas["fixture.v1.Book"]?.required).toEqual(["title"]);
    expect(property("fixture.v1.Book", "createTime")?.readOnly).toBe(true);
    expect(property("fixture.v1.Book", "secret")?.writeOnly).toBe(true);
  });

  it("maps well-known types to their JSON forms", () => {
    expect(schemas["google.protobuf.Timestamp"]).toMatchObject({ type: "string", format: "date-time" });
    expect(schemas["google.protobuf.Duration"]).toMatchObject({ type: "string" });
    expect(schemas["google.protobuf.Int64Value"]).toMatchObject({ type: ["string", "null"], format: "int64" });
    expect(schemas["google.protobuf.StringValue"]).toMatchObject({ type: ["string", "null"] });
    expect(schemas["google.protobuf.Struct"]).toMatchObject({ type: "object", additionalProperties: true });
    expect(schemas["google.protobuf.Value"]?.type).toBeUndefined();
    expect(schemas["google.protobuf.Any"]).toMatchObject({ type: "object", required: ["@type"] });
    expect(schemas["google.protobuf.Empty"]).toMatchObject({ type: "object" });
    // Well-known types are never described field by field.
    expect(schemas["google.protobuf.Timestamp"]?.properties).toBeUndefined();
  });
});

describe("protoc-gen-weft-openapi fixture document", () => {
  it("validates as OpenAPI 3.1 (@seriousme/openapi-schema-validator)", async () => {
    const validator = new Validator();
    // Validated as the JSON the plugin wrote, not as the typed view the other tests read.
    const written = JSON.parse(run("").file[0]?.content ?? "null") as Record<string, unknown>;
    const result = await validator.validate(written);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([]);
    expect(validator.version).toBe("3.1");
    expect(() => validator.resolveRefs()).not.toThrow();
  });
});

describe("protoc-gen-weft-openapi options and edges", () => {
  it("parses its options and refuses unknown ones", () => {
    expect(parseOpenApiOptions("title=My API, version=v2,packages=a.,packages=b.")).toEqual({
      title: "My API",
      version: "v2",
      packagePrefixes: ["a.", "b."],
    });
    expect(run("colour=blue").error).toContain('unknown option "colour"');
    expect(run("title=").error).toContain('option "title" needs a value');
  });

  it("writes no file when no service in the request has a REST route", () => {
    const response = run("packages=shop.");
    expect(response.error ?? "").toBe("");
    expect(response.file).toEqual([]);
    expect(run("", ["google/api/http.proto"]).file).toEqual([]);
  });

  it("reports a missing file as an error instead of throwing", () => {
    expect(run("", ["nope.proto"]).error).toContain("nope.proto");
  });

  it("turns path templates into OpenAPI paths", () => {
    expect(toOpenApiPath("/v1/{name=shelves/*/books/**}:publish")).toEqual({
      path: "/v1/{name}:publish",
      variables: [{ fieldPath: "name", pattern: "shelves/*/books/**" }],
    });
    expect(toOpenApiPath("/v1/{a.b}/x/{c}").variables.map((v) => v.fieldPath)).toEqual(["a.b", "c"]);
    expect(segmentsRegex("shelves/*/books/**")).toBe("^shelves/[^/]+/books/.+$");
    expect(new RegExp(segmentsRegex("v1.x/*")).test("v1.x/a")).toBe(true);
    expect(new RegExp(segmentsRegex("v1.x/*")).test("v1yx/a")).toBe(false);
  });
});
