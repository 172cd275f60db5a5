// Property tests: whatever a client sends, routing never throws and decoding either yields a
// request or an RpcError that maps to a 4xx with a BadRequest naming a field. Never a 5xx.
import { type DescMessage, type Registry, toBinary, toJson } from "@bufbuild/protobuf";
import { Code, RpcError } from "@weft/mesh";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decodeRestRequest, httpStatusOf, type RestRouter, statusToJson } from "../../src/index.ts";
import { fixtureMessage, loadFixture } from "./fixture.ts";
import { shopRegistry, shopRouter } from "./shop.ts";

const methods = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "PURGE", "get", "OPTIONS");

const segment = fc.oneof(
  fc.constantFrom(
    "v1",
    "things",
    "orders",
    "products",
    "shelves",
    "books",
    "files",
    "wild",
    "search",
    "typed",
    "special",
  ),
  fc.constantFrom("x", "t-1", "true", "-3", "KIND_SMALL", "1.5", "NaN", "", "%2F", "%ZZ", "%E0%A4%A", "a%20b", "💥"),
  fc.constantFrom(":cancel", ":archive", ":watch", "id:archive", "things:watch", "o-1:cancel", ":"),
  fc.string({ maxLength: 6 }),
);
const randomRequest = fc.tuple(
  methods,
  fc.array(segment, { maxLength: 7 }).map((parts) => `/${parts.join("/")}`),
);
// Requests shaped like the real routes (method included), so that most get as far as decoding.
const routedRequest = fc
  .tuple(
    fc.constantFrom(
      "GET /v1/things/$",
      "POST /v1/things",
      "POST /v1/things/$:archive",
      "PATCH /v1/things/$",
      "PUT /v1/things/$/tags",
      "PUT /v1/things/$/version",
      "GET /v1/search",
      "GET /v1/things:watch",
      "GET /v1/typed/$/$/$/$/$",
      "GET /v1/shelves/$/books/$",
      "GET /v1/files/$/$",
      "GET /v1/orders",
      "POST /v1/orders",
      "GET /v1/orders/$",
      "POST /v1/orders/$:cancel",
      "GET /v1/products",
      "PATCH /v1/products/$",
      "POST /v1/inventory/$:adjust",
      "POST /v1/auth/signup",
    ),
    fc.array(segment, { minLength: 5, maxLength: 5 }),
  )
  .map(([template, values]) => {
    const [method = "", path = ""] = values
      .reduce<string>((result, value) => result.replace("$", value), template)
      .split(" ");
    return [method, path] as const;
  });
const request = fc.oneof(randomRequest, routedRequest, routedRequest, routedRequest);

const queryKey = fc.oneof(
  fc.constantFrom("query", "page.size", "page_size", "pageSize", "page.inner.note", "ids", "numbers", "kind", "kinds"),
  fc.constantFrom("big", "ubig", "flag", "data", "ratio", "fraction", "at", "timeout", "mask", "countWrapper"),
  fc.constantFrom("flag_wrapper", "by_name", "byNumber", "labels", "attrs", "limit", "inners", "id", "thing.id"),
  fc.constantFrom("update_mask", "reason", "page", "at.seconds", "page..size", ".", "", "include_inactive"),
);
const queryKeyOrJunk = fc.oneof(queryKey, queryKey, queryKey, fc.string({ maxLength: 8 }));
const queryValue = fc.oneof(
  fc.constantFrom("", "0", "-1", "1.5", "1e999", "NaN", "true", "false", "KIND_LARGE", "2", "9223372036854775808"),
  fc.constantFrom("2024-01-02T03:04:05Z", "1.5s", "a,b.c", "-_8", "!!", " 1"),
  fc.bigInt({ min: -(2n ** 65n), max: 2n ** 65n }).map(String),
  fc.string({ maxLength: 10 }),
);
const query = fc.oneof(
  fc.constant(""),
  fc
    .array(fc.tuple(queryKeyOrJunk, queryValue), { maxLength: 4 })
    .map((pairs) => new URLSearchParams(pairs).toString()),
);

const fieldKey = fc.constantFrom(
  "thing",
  "id",
  "displayName",
  "display_name",
  "kind",
  "version",
  "tags",
  "counts",
  "createTime",
  "inner",
  "inners",
  "extra",
  "data",
  "ownerName",
  "ownerNumber",
  "request_id",
  "reason",
  "items",
  "productId",
  "quantity",
  "name",
  "price",
  "amountMinor",
  "@type",
);
const structuredJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.jsonValue({ maxDepth: 1 }),
    fc.dictionary(fieldKey, tie("value"), { maxKeys: 4 }),
    fc.array(tie("value"), { maxLength: 3 }),
  ),
})).value;
const body = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 3 }),
  structuredJson.map((value) => JSON.stringify(value)),
  structuredJson.map((value) => JSON.stringify(value).slice(0, -1)),
  fc.string({ maxLength: 20 }),
  fc.nat({ max: 5000 }).map((depth) => `${"[".repeat(depth)}${"]".repeat(depth)}`),
  fc.nat({ max: 5000 }).map((depth) => `{"thing":${'{"inner":'.repeat(depth)}{}${"}".repeat(depth)}}`),
);

function expectOnlyClientErrors(router: RestRouter, registry: Registry) {
  return fc.property(request, query, body, ([method, requestPath], queryString, requestBody) => {
    const match = router.match(method, requestPath);
    if (match === undefined) return;
    if (match.kind === "methodNotAllowed") {
      expect(match.allowedMethods.length).toBeGreaterThan(0);
      return;
    }
    const schema: DescMessage = match.route.method.input;
    try {
      const message = decodeRestRequest(match, new URLSearchParams(queryString), requestBody, registry);
      // A decoded request is a valid message: it serialises both ways.
      toBinary(schema, message);
      toJson(schema, message, { registry });
    } catch (error) {
      expect(error).toBeInstanceOf(RpcError);
      const rpcError = error as RpcError;
      expect(rpcError.code).toBe(Code.INVALID_ARGUMENT);
      const { httpStatus, body: status } = statusToJson(rpcError, registry);
      expect(httpStatus).toBeGreaterThanOrEqual(400);
      expect(httpStatus).toBeLessThan(500);
      expect(httpStatusOf(rpcError.code)).toBe(400);
      expect(rpcError.fieldViolations.length).toBeGreaterThan(0);
      expect(JSON.stringify(status)).toContain("google.rpc.BadRequest");
    }
  });
}

describe("properties", () => {
  test("fixture: random requests give a request or INVALID_ARGUMENT, nothing else", () => {
    const { router, registry } = loadFixture();
    fc.assert(expectOnlyClientErrors(router, registry), { numRuns: 2000 });
  });

  test("shop: random requests give a request or INVALID_ARGUMENT, nothing else", () => {
    fc.assert(expectOnlyClientErrors(shopRouter, shopRegistry), { numRuns: 2000 });
  });

  test("routing any string as a path never throws", () => {
    fc.assert(
      fc.property(methods, fc.string(), (method, anyPath) => {
        const result = loadFixture().router.match(method, anyPath);
        expect(result === undefined || result.kind === "match" || result.kind === "methodNotAllowed").toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test("query values round-trip: 64-bit ints, repeated strings, enums by number", () => {
    const { router, registry } = loadFixture();
    const match = router.match("GET", "/v1/search");
    if (match?.kind !== "match") throw new Error("no search route");
    const schema = fixtureMessage("SearchRequest");
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.array(fc.string(), { maxLength: 4 }),
        fc.constantFrom(0, 1, 2),
        (big, ids, kind) => {
          const params = new URLSearchParams({ big: String(big), kind: String(kind) });
          for (const id of ids) params.append("ids", id);
          const json = toJson(schema, decodeRestRequest(match, params, undefined, registry), {
            alwaysEmitImplicit: true,
            enumAsInteger: true,
          });
          expect(json).toMatchObject({ big: String(big), ids, kind });
        },
      ),
      { numRuns: 500 },
    );
  });

  test("path values round-trip through percent-encoding", () => {
    const { router, registry } = loadFixture();
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (id) => {
        const match = router.match("GET", `/v1/things/${encodeURIComponent(id)}`);
        if (match?.kind !== "match") throw new Error("no match");
        // "special" is its own route; everything else is GetThing.
        if (match.route.method.name !== "GetThing") return;
        const message = decodeRestRequest(match, new URLSearchParams(), undefined, registry);
        expect(toJson(match.route.method.input, message)).toEqual({ id });
      }),
      { numRuns: 1000 },
    );
  });

  test("oversize bodies decode or fail as INVALID_ARGUMENT (the size limit belongs to the server)", () => {
    const { router, registry } = loadFixture();
    const match = router.match("POST", "/v1/things");
    if (match?.kind !== "match") throw new Error("no create route");
    const big = JSON.stringify({ thing: { displayName: "x".repeat(2_000_000), tags: Array(100_000).fill("t") } });
    expect(decodeRestRequest(match, new URLSearchParams(), big, registry)).toBeDefined();
    const deep = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
    expect(() => decodeRestRequest(match, new URLSearchParams(), deep, registry)).toThrow(RpcError);
  });
});
