import type { JsonValue } from "@bufbuild/protobuf";
import { describe, expect, test } from "vitest";
import { decodeToJson, decodeViolations } from "./decode.ts";
import { loadFixture } from "./fixture.ts";
import { shopRegistry, shopRouter } from "./shop.ts";

interface Case {
  readonly request: string;
  readonly body?: string;
  readonly rpc: string;
  readonly json: JsonValue;
}

function fixtureDecode({ request, body }: Case) {
  const { router, registry } = loadFixture();
  return decodeToJson(router, registry, request, body);
}

describe("path variables", () => {
  test.each<Case>([
    { request: "GET /v1/things/t-1", rpc: "GetThing", json: { id: "t-1" } },
    {
      // Single-segment variables decode everything, %2F included.
      request: "GET /v1/shelves/s%2F1/things/t%20%E2%9C%93",
      rpc: "GetThing",
      json: { id: "t ✓", shelf: "s/1" },
    },
    {
      // Multi-segment variables keep their slashes and leave %2F encoded.
      request: "GET /v1/shelves/a%20b/books/c%2Fd",
      rpc: "GetBook",
      json: { name: "shelves/a b/books/c%2Fd" },
    },
    {
      request: "GET /v1/files/a/b%20c/d.txt?recursive=true",
      rpc: "GetFile",
      json: { path: "a/b c/d.txt", recursive: true },
    },
    {
      request: "GET /v1/typed/true/-3/KIND_LARGE/9007199254740993/1.5",
      rpc: "GetTyped",
      json: { flag: true, count: -3, kind: "KIND_LARGE", big: "9007199254740993", ratio: 1.5 },
    },
    {
      request: "GET /v1/typed/false/0/1/-1/NaN",
      rpc: "GetTyped",
      json: { kind: "KIND_SMALL", big: "-1", ratio: "NaN" },
    },
    { request: "GET /v1/things:watch?query=x", rpc: "WatchThings", json: { query: "x" } },
  ])("$request", (example) => {
    expect(fixtureDecode(example)).toEqual({ rpc: example.rpc, json: example.json });
  });
});

describe("query parameters", () => {
  test.each<Case>([
    { request: "GET /v1/search", rpc: "Search", json: {} },
    { request: "GET /v1/search?query=", rpc: "Search", json: {} },
    { request: "GET /v1/search?query=red%20shoes", rpc: "Search", json: { query: "red shoes" } },
    { request: "GET /v1/search?query=a+b", rpc: "Search", json: { query: "a b" } },
    // Dotted paths into nested messages, in proto or JSON names.
    {
      request: "GET /v1/search?page.size=10&page.token=abc",
      rpc: "Search",
      json: { page: { size: 10, token: "abc" } },
    },
    { request: "GET /v1/search?page.inner.note=deep", rpc: "Search", json: { page: { inner: { note: "deep" } } } },
    // Repeated fields by repeated keys.
    { request: "GET /v1/search?ids=a&ids=b", rpc: "Search", json: { ids: ["a", "b"] } },
    {
      request: "GET /v1/search?numbers=1&numbers=-9223372036854775808",
      rpc: "Search",
      json: { numbers: ["1", "-9223372036854775808"] },
    },
    // Enums by name or number.
    {
      request: "GET /v1/search?kind=KIND_SMALL&kinds=2&kinds=KIND_SMALL",
      rpc: "Search",
      json: { kind: "KIND_SMALL", kinds: ["KIND_LARGE", "KIND_SMALL"] },
    },
    // 64-bit integers stay exact.
    {
      request: "GET /v1/search?big=9223372036854775807&ubig=18446744073709551615&fixed=42",
      rpc: "Search",
      json: { big: "9223372036854775807", ubig: "18446744073709551615", fixed: "42" },
    },
    { request: "GET /v1/search?signed=-7&small=4294967295", rpc: "Search", json: { signed: -7, small: 4294967295 } },
    { request: "GET /v1/search?flag=true", rpc: "Search", json: { flag: true } },
    { request: "GET /v1/search?flag=false", rpc: "Search", json: {} },
    // Bytes in base64url and standard base64.
    { request: "GET /v1/search?data=-_8", rpc: "Search", json: { data: "+/8=" } },
    { request: "GET /v1/search?data=%2B%2F8%3D", rpc: "Search", json: { data: "+/8=" } },
    { request: "GET /v1/search?ratio=0.25&fraction=1e3", rpc: "Search", json: { ratio: 0.25, fraction: 1000 } },
    { request: "GET /v1/search?ratio=-Infinity", rpc: "Search", json: { ratio: "-Infinity" } },
    // Well-known types in their JSON string forms.
    {
      request: "GET /v1/search?at=2024-01-02T03:04:05.500Z&timeout=1.5s&mask=displayName,inner.note",
      rpc: "Search",
      json: { at: "2024-01-02T03:04:05.500Z", timeout: "1.500s", mask: "displayName,inner.note" },
    },
    { request: "GET /v1/search?at=2024-01-02T05:04:05%2B02:00", rpc: "Search", json: { at: "2024-01-02T03:04:05Z" } },
    // Wrappers as their scalar, by JSON name or proto name.
    {
      request: "GET /v1/search?countWrapper=3&flag_wrapper=false&nameWrapper=&bigWrapper=-5",
      rpc: "Search",
      json: { countWrapper: 3, flagWrapper: false, nameWrapper: "", bigWrapper: "-5" },
    },
    { request: "GET /v1/search?byNumber=4", rpc: "Search", json: { byNumber: 4 } },
    { request: "GET /v1/search?by_name=", rpc: "Search", json: { byName: "" } },
    // Explicit presence: zero is kept.
    { request: "GET /v1/search?limit=0", rpc: "Search", json: { limit: 0 } },
  ])("$request", (example) => {
    expect(fixtureDecode(example)).toEqual({ rpc: example.rpc, json: example.json });
  });

  test("the shop: paging and filters of ListProducts, by either name", () => {
    expect(
      decodeToJson(
        shopRouter,
        shopRegistry,
        "GET /v1/products?page_size=5&pageToken=t&query=red&include_inactive=true",
      ),
    ).toEqual({
      rpc: "ListProducts",
      json: { pageSize: 5, pageToken: "t", query: "red", includeInactive: true },
    });
  });
});

describe("bodies", () => {
  const thing = {
    displayName: "T",
    kind: "KIND_SMALL",
    version: "5",
    tags: ["a"],
    counts: { x: 1 },
    createTime: "2024-01-01T00:00:00Z",
    inner: { note: "n" },
    inners: [{ level: 2 }],
    extra: { "@type": "type.googleapis.com/weft.transcode.v1.Inner", note: "any" },
    data: "AQI=",
    ownerName: "o",
  };

  test.each<Case>([
    // body "*": the whole request; proto names are accepted as well.
    {
      request: "POST /v1/things",
      body: JSON.stringify({ thing, request_id: "r" }),
      rpc: "CreateThing",
      json: { thing, requestId: "r" },
    },
    { request: "POST /v1/things", body: "", rpc: "CreateThing", json: {} },
    { request: "POST /v1/things", body: " \n", rpc: "CreateThing", json: {} },
    { request: "POST /v1/things", rpc: "CreateThing", json: {} },
    { request: "POST /v1/things", body: "{}", rpc: "CreateThing", json: {} },
    // The path fills what the body leaves out; the same value in both is fine.
    {
      request: "POST /v1/things/t-1:archive",
      body: '{"reason":"old"}',
      rpc: "ArchiveThing",
      json: { id: "t-1", reason: "old" },
    },
    { request: "POST /v1/things/t-1:archive", body: '{"id":"t-1"}', rpc: "ArchiveThing", json: { id: "t-1" } },
    // body "field": the body is that field; a nested path variable lands inside it.
    {
      request: "PATCH /v1/things/t-1?update_mask=displayName,tags",
      body: '{"displayName":"new","tags":["x"]}',
      rpc: "UpdateThing",
      json: { thing: { id: "t-1", displayName: "new", tags: ["x"] }, updateMask: "displayName,tags" },
    },
    { request: "PATCH /v1/things/t-1", body: '{"id":"t-1"}', rpc: "UpdateThing", json: { thing: { id: "t-1" } } },
    { request: "PATCH /v1/things/t-1", body: "null", rpc: "UpdateThing", json: { thing: { id: "t-1" } } },
    // ...a repeated field, or a scalar.
    { request: "PUT /v1/things/t-1/tags", body: '["a","b"]', rpc: "SetTags", json: { id: "t-1", tags: ["a", "b"] } },
    { request: "PUT /v1/things/t-1/version", body: '"42"', rpc: "SetVersion", json: { id: "t-1", version: "42" } },
    { request: "PUT /v1/things/t-1/version", body: "42", rpc: "SetVersion", json: { id: "t-1", version: "42" } },
  ])("$request $body", (example) => {
    expect(fixtureDecode(example)).toEqual({ rpc: example.rpc, json: example.json });
  });

  test.each([
    {
      request: "POST /v1/orders",
      body: '{"items":[{"productId":"p-1","quantity":2}],"payment_method":"tok_visa","idempotencyKey":"k"}',
      rpc: "PlaceOrder",
      json: { items: [{ productId: "p-1", quantity: 2 }], paymentMethod: "tok_visa", idempotencyKey: "k" },
    },
    {
      request: "POST /v1/orders/o-1:cancel",
      body: '{"reason":"changed my mind"}',
      rpc: "CancelOrder",
      json: { id: "o-1", reason: "changed my mind" },
    },
    {
      request: "POST /v1/inventory/p-1:adjust",
      body: '{"delta":"-3","reason":"stock count"}',
      rpc: "AdjustStock",
      json: { productId: "p-1", delta: "-3", reason: "stock count" },
    },
    {
      request: "PATCH /v1/products/p-1?updateMask=name,price",
      body: '{"name":"N","price":{"amountMinor":"100","currency":"USD"}}',
      rpc: "UpdateProduct",
      json: {
        product: { id: "p-1", name: "N", price: { amountMinor: "100", currency: "USD" } },
        updateMask: "name,price",
      },
    },
    {
      request: "POST /v1/auth/signup",
      body: '{"email":"a@example.com","password":"secret-123"}',
      rpc: "SignUp",
      json: { email: "a@example.com", password: "secret-123" },
    },
  ])("the shop: $request", ({ request, body, rpc, json }) => {
    expect(decodeToJson(shopRouter, shopRegistry, request, body)).toEqual({ rpc, json });
  });
});

describe("refusals: INVALID_ARGUMENT with a BadRequest naming the field", () => {
  test.each([
    // Unknown or unusable query parameters.
    { request: "GET /v1/search?nope=1", field: "nope", description: "unknown query parameter" },
    { request: "GET /v1/search?page.nope=1", field: "page.nope", description: 'unknown field "nope"' },
    { request: "GET /v1/search?at.seconds=1", field: "at.seconds", description: "has no fields to select" },
    { request: "GET /v1/search?page=1", field: "page", description: 'set its fields one by one, such as "page.size"' },
    { request: "GET /v1/search?labels=x", field: "labels", description: "map fields cannot be set" },
    { request: "GET /v1/search?attrs=x", field: "attrs", description: "google.protobuf.Struct cannot be set" },
    { request: "GET /v1/search?inners=x", field: "inners", description: "repeated message fields cannot be set" },
    // Wrong types and out-of-range values.
    { request: "GET /v1/search?page.size=abc", field: "page.size", description: 'expected number (int32), got "abc"' },
    { request: "GET /v1/search?page.size=2147483648", field: "page.size", description: "out of range" },
    { request: "GET /v1/search?page.size=1.5", field: "page.size", description: "expected number (int32)" },
    { request: "GET /v1/search?page.size=%201", field: "page.size", description: "expected a number" },
    { request: "GET /v1/search?ratio=", field: "ratio", description: "expected number" },
    { request: "GET /v1/search?big=9223372036854775808", field: "big", description: "out of range" },
    { request: "GET /v1/search?ubig=-1", field: "ubig", description: "uint64" },
    { request: "GET /v1/search?small=-1", field: "small", description: "uint32" },
    { request: "GET /v1/search?flag=yes", field: "flag", description: 'expected true or false, got "yes"' },
    { request: "GET /v1/search?flag=1", field: "flag", description: "expected true or false" },
    {
      request: "GET /v1/search?kind=KIND_HUGE",
      field: "kind",
      description: 'expected weft.transcode.v1.Kind, got "KIND_HUGE"',
    },
    { request: "GET /v1/search?kinds=1&kinds=nope", field: "kinds", description: '"nope"' },
    { request: "GET /v1/search?data=!!", field: "data", description: "invalid base64" },
    { request: "GET /v1/search?at=yesterday", field: "at", description: "invalid RFC 3339" },
    { request: "GET /v1/search?timeout=5", field: "timeout", description: "google.protobuf.Duration" },
    { request: "GET /v1/search?countWrapper=x", field: "count_wrapper", description: "expected number (int32)" },
    { request: "GET /v1/search?flagWrapper=maybe", field: "flag_wrapper", description: "expected true or false" },
    // Singular fields given twice, also by two spellings; two members of a oneof.
    { request: "GET /v1/search?query=a&query=b", field: "query", description: "given more than once" },
    { request: "GET /v1/search?page.size=1&page.size=2", field: "page.size", description: "given more than once" },
    { request: "GET /v1/search?countWrapper=1&count_wrapper=2", field: "count_wrapper", description: "more than once" },
    {
      request: "GET /v1/search?by_name=x&byNumber=1",
      field: "by_number",
      description: 'oneof choice is already set by "by_name"',
    },
    // Fields the path or the body set are not query parameters.
    { request: "GET /v1/things/t-1?id=x", field: "id", description: "set by the URL path" },
    {
      request: "PATCH /v1/things/t-1?thing.displayName=x",
      field: "thing.display_name",
      description: "set by the request body",
    },
    { request: "POST /v1/things?request_id=x", field: "request_id", description: "the request body sets every field" },
    // Path variables with the wrong type or bad encoding.
    { request: "GET /v1/typed/yes/1/KIND_SMALL/1/1", field: "flag", description: "expected true or false" },
    { request: "GET /v1/typed/true/x/KIND_SMALL/1/1", field: "count", description: "expected number (int32)" },
    { request: "GET /v1/typed/true/1/NOPE/1/1", field: "kind", description: '"NOPE"' },
    { request: "GET /v1/typed/true/1/1/99999999999999999999/1", field: "big", description: "out of range" },
    { request: "GET /v1/things/%E0%A4%A", field: "id", description: "malformed percent-encoding" },
    { request: "GET /v1/files/a/%ZZ", field: "path", description: "malformed percent-encoding" },
  ])("$request → $field", ({ request, field, description }) => {
    const { router, registry } = loadFixture();
    const violations = decodeViolations(router, registry, request);
    expect(violations).toHaveLength(1);
    expect(violations[0]?.field).toBe(field);
    expect(violations[0]?.description).toContain(description);
  });

  test.each([
    { request: "POST /v1/things", body: "{", field: "*", description: "malformed JSON" },
    { request: "POST /v1/things", body: '{"thing":', field: "*", description: "malformed JSON" },
    {
      request: "POST /v1/things",
      body: "[]",
      field: "*",
      description: "expected weft.transcode.v1.CreateThingRequest, got Array(0)",
    },
    { request: "POST /v1/things", body: "null", field: "*", description: "got null" },
    { request: "POST /v1/things", body: '"thing"', field: "*", description: 'got "thing"' },
    // Unknown fields are rejected, not ignored (the proto3 JSON default), at any depth.
    { request: "POST /v1/things", body: '{"nope":1}', field: "nope", description: 'unknown field "nope"' },
    { request: "POST /v1/things", body: '{"thing":{"nope":1}}', field: "thing.nope", description: "unknown field" },
    { request: "POST /v1/things", body: '{"thing":{"version":"x"}}', field: "thing.version", description: "int64" },
    { request: "POST /v1/things", body: '{"thing":{"version":1.5}}', field: "thing.version", description: "int64" },
    {
      request: "POST /v1/things",
      body: '{"thing":{"ownerNumber":3000000000}}',
      field: "thing.owner_number",
      description: "out of range",
    },
    {
      request: "POST /v1/things",
      body: '{"thing":{"displayName":7}}',
      field: "thing.display_name",
      description: "string",
    },
    { request: "POST /v1/things", body: '{"thing":{"tags":"a"}}', field: "thing.tags", description: "expected Array" },
    {
      request: "POST /v1/things",
      body: '{"thing":{"inners":[{"level":1},{"level":"x"}]}}',
      field: "thing.inners[1].level",
      description: "int32",
    },
    {
      request: "POST /v1/things",
      body: '{"thing":{"inners":[{"nope":1}]}}',
      field: "thing.inners[0].nope",
      description: "unknown",
    },
    { request: "POST /v1/things", body: '{"thing":{"counts":{"a":"x"}}}', field: "thing.counts", description: "int32" },
    {
      request: "POST /v1/things",
      body: '{"thing":{"createTime":"nope"}}',
      field: "thing.create_time",
      description: "RFC 3339",
    },
    {
      request: "POST /v1/things",
      body: '{"thing":{"kind":"KIND_HUGE"}}',
      field: "thing.kind",
      description: "KIND_HUGE",
    },
    { request: "POST /v1/things", body: '{"thing":{"data":"!!"}}', field: "thing.data", description: "base64" },
    {
      request: "POST /v1/things",
      body: '{"thing":{"extra":{"@type":"type.googleapis.com/unknown.T"}}}',
      field: "thing.extra",
      description: "not in the type registry",
    },
    {
      request: "POST /v1/things",
      body: '{"thing":{"ownerName":"a","ownerNumber":1}}',
      field: "thing",
      description: "oneof",
    },
    {
      request: "POST /v1/things",
      body: '{"thing":{"displayName":"a","display_name":"b"}}',
      field: "thing",
      description: "multiple times",
    },
    {
      request: "POST /v1/things",
      body: '{"request_id":"a","request_id":"b"}',
      field: "*",
      description: "duplicate object key",
    },
    // body "field": errors are named from the request root.
    { request: "PATCH /v1/things/t-1", body: '{"nope":1}', field: "thing.nope", description: "unknown field" },
    { request: "PATCH /v1/things/t-1", body: "[1]", field: "thing", description: "expected weft.transcode.v1.Thing" },
    { request: "PATCH /v1/things/t-1", body: "{", field: "thing", description: "malformed JSON" },
    { request: "PUT /v1/things/t-1/version", body: '"x"', field: "version", description: "int64" },
    { request: "PUT /v1/things/t-1/tags", body: '[1,"a"]', field: "tags", description: "list item #1" },
    // A body that contradicts the path.
    {
      request: "POST /v1/things/t-1:archive",
      body: '{"id":"t-2"}',
      field: "id",
      description: "disagrees with the URL path",
    },
    {
      request: "PATCH /v1/things/t-1",
      body: '{"id":"t-2"}',
      field: "thing.id",
      description: "disagrees with the URL path",
    },
    // A body where the rule has none.
    { request: "GET /v1/things/t-1", body: "{}", field: "*", description: "takes no request body" },
  ])("$request $body → $field", ({ request, body, field, description }) => {
    const { router, registry } = loadFixture();
    const violations = decodeViolations(router, registry, request, body);
    expect(violations).toHaveLength(1);
    expect(violations[0]?.field).toBe(field);
    expect(violations[0]?.description).toContain(description);
  });

  test("every problem is reported at once", () => {
    const { router, registry } = loadFixture();
    expect(
      decodeViolations(router, registry, "GET /v1/search?nope=1&flag=yes&page.size=x").map((v) => v.field),
    ).toEqual(["nope", "flag", "page.size"]);
    expect(
      decodeViolations(router, registry, "POST /v1/things/t-1:archive?x=1", '{"id":"t-2","reason":5}').map(
        (v) => v.field,
      ),
    ).toEqual(["reason", "x", "id"]);
  });

  test("the shop: a wrong type in PlaceOrder names the item", () => {
    expect(
      decodeViolations(shopRouter, shopRegistry, "POST /v1/orders", '{"items":[{"productId":"p","quantity":"many"}]}'),
    ).toEqual([{ field: "items[0].quantity", description: 'expected number (int32), got "many"' }]);
  });
});
