import { getOption, hasOption } from "@bufbuild/protobuf";
import { http } from "@weft/gen/google/api/annotations_pb.js";
import { describe, expect, test } from "vitest";
import { RestRouter } from "../../src/index.ts";
import { loadFixture } from "./fixture.ts";
import { shopRouter, shopServices } from "./shop.ts";

/** `Method {field=raw,...}`, or `405 GET,PUT`, or `404`: one comparable line per routing outcome. */
function outcome(router: RestRouter, method: string, path: string): string {
  const result = router.match(method, path);
  if (result === undefined) return "404";
  if (result.kind === "methodNotAllowed") return `405 ${result.allowedMethods.join(",")}`;
  const vars = result.captured.map((c) => `${c.variable.fieldPath}=${c.rawValue}`).join(",");
  return `${result.route.method.name} {${vars}}`;
}

describe("routes", () => {
  test("the shop: one route per google.api.http rule, none for methods without one", () => {
    const routed = new Set(shopRouter.routes().map((route) => route.method));
    for (const service of shopServices) {
      for (const method of service.methods) {
        expect(routed.has(method), method.name).toBe(hasOption(method, http));
      }
    }
    const get = (name: string) => shopRouter.routes().find((route) => route.method.name === name);
    expect(get("PlaceOrder")).toMatchObject({ httpMethod: "POST", pattern: "/v1/orders", body: "*", responseBody: "" });
    expect(get("UpdateProduct")).toMatchObject({ httpMethod: "PATCH", pattern: "/v1/products/{product.id}" });
    expect(get("UpdateProduct")?.body).toBe(getOption(get("UpdateProduct")!.method, http).body);
    expect(get("Reserve")).toBeUndefined();
    expect(get("BatchGetProducts")).toBeUndefined();
  });

  test("the fixture: additional bindings, custom methods, response_body; no route for Internal", () => {
    const routes = loadFixture().router.routes();
    expect(routes.map((r) => `${r.httpMethod} ${r.pattern} ${r.method.name}`)).toEqual([
      "GET /v1/things/{id} GetThing",
      "GET /v1/shelves/{shelf}/things/{id} GetThing",
      "GET /v1/things/special GetSpecialThing",
      "GET /v1/{name=shelves/*/books/*} GetBook",
      "GET /v1/files/{path=**} GetFile",
      "GET /v1/wild/*/x Wildcards",
      "GET /v1/wild/** Wildcards",
      "PATCH /v1/things/{thing.id} UpdateThing",
      "POST /v1/things CreateThing",
      "POST /v1/things/{id}:archive ArchiveThing",
      "PUT /v1/things/{id}/tags SetTags",
      "PUT /v1/things/{id}/version SetVersion",
      "GET /v1/search Search",
      "GET /v1/typed/{flag}/{count}/{kind}/{big}/{ratio} GetTyped",
      "PURGE /v1/things/{id} Purge",
      "GET /v1/things:watch WatchThings",
    ]);
    const update = routes.find((r) => r.method.name === "UpdateThing");
    expect(update?.bodyField?.name).toBe("thing");
    expect(update?.responseBodyField?.name).toBe("thing");
    expect(update?.pathBindings.map((b) => b.fieldPath)).toEqual(["thing.id"]);
  });
});

describe("match", () => {
  test.each([
    // Shop routes.
    ["GET", "/v1/orders", "ListOrders {}"],
    ["POST", "/v1/orders", "PlaceOrder {}"],
    ["GET", "/v1/orders/o-1", "GetOrder {id=o-1}"],
    ["POST", "/v1/orders/o-1:cancel", "CancelOrder {id=o-1}"],
    ["GET", "/v1/orders/o-1:watch", "WatchOrder {id=o-1}"],
    ["PATCH", "/v1/products/p-9", "UpdateProduct {product.id=p-9}"],
    ["POST", "/v1/inventory/p-9:adjust", "AdjustStock {product_id=p-9}"],
    ["GET", "/.well-known/jwks.json", "GetJwks {}"],
    ["get", "/v1/users/u%201", "GetUser {id=u%201}"],
    // Without a verb in the template a colon is plain text: the id is "o-1:cancel".
    ["GET", "/v1/orders/o-1:cancel", "GetOrder {id=o-1:cancel}"],
    // Unknown paths are 404; known paths with the wrong method are 405 with what is allowed.
    ["GET", "/v1/nope", "404"],
    ["GET", "/v1/orders/o-1/lines", "404"],
    ["GET", "/v1/orders/", "404"],
    ["GET", "v1/orders", "404"],
    // An unknown verb is, by the same rule, part of an id: the path is GetOrder's, so 405.
    ["POST", "/v1/orders/o-1:explode", "405 GET"],
    ["POST", "/v1/nope/o-1:cancel", "404"],
    ["DELETE", "/v1/orders", "405 GET,POST"],
    ["DELETE", "/v1/orders/o-1:cancel", "405 GET,POST"],
    ["PUT", "/v1/orders/o-1", "405 GET"],
  ])("shop %s %s → %s", (method, path, expected) => {
    expect(outcome(shopRouter, method, path)).toBe(expected);
  });

  test.each([
    ["GET", "/v1/things/t-1", "GetThing {id=t-1}"],
    ["GET", "/v1/shelves/s-1/things/t-1", "GetThing {shelf=s-1,id=t-1}"],
    // Literal beats variable, whatever the declaration order.
    ["GET", "/v1/things/special", "GetSpecialThing {}"],
    ["GET", "/v1/shelves/s-1/books/b-2", "GetBook {name=shelves/s-1/books/b-2}"],
    ["GET", "/v1/shelves/s-1/books", "404"],
    ["GET", "/v1/shelves/s-1/books/b-2/x", "404"],
    ["GET", "/v1/files/a/b/c.txt", "GetFile {path=a/b/c.txt}"],
    ["GET", "/v1/files/a%2Fb/c", "GetFile {path=a%2Fb/c}"],
    ["GET", "/v1/files", "GetFile {path=}"],
    // `/v1/wild/*/x` has more literals than `/v1/wild/**`, so it is tried first.
    ["GET", "/v1/wild/a/x", "Wildcards {}"],
    ["GET", "/v1/wild/a/b/c", "Wildcards {}"],
    ["GET", "/v1/wild", "Wildcards {}"],
    ["PATCH", "/v1/things/t-1", "UpdateThing {thing.id=t-1}"],
    ["POST", "/v1/things", "CreateThing {}"],
    ["POST", "/v1/things/t-1:archive", "ArchiveThing {id=t-1}"],
    ["POST", "/v1/things/t-1:unarchive", "405 GET,PATCH,PURGE"],
    ["POST", "/v1/things/t-1/x:archive", "404"],
    ["PURGE", "/v1/things/t-1", "Purge {id=t-1}"],
    ["GET", "/v1/things:watch", "WatchThings {}"],
    ["GET", "/v1/typed/true/3/KIND_SMALL/12/1.5", "GetTyped {flag=true,count=3,kind=KIND_SMALL,big=12,ratio=1.5}"],
    ["DELETE", "/v1/things/t-1", "405 GET,PATCH,PURGE"],
    ["POST", "/v1/things/special", "405 GET,PATCH,PURGE"],
    ["GET", "/v1/things/t-1/tags", "405 PUT"],
  ])("fixture %s %s → %s", (method, path, expected) => {
    expect(outcome(loadFixture().router, method, path)).toBe(expected);
  });

  test("declaration order breaks ties between equally specific templates", () => {
    const { service } = loadFixture();
    // GetThing's `/v1/things/{id}` and Purge's `/v1/things/{id}` tie on specificity; the method decides.
    const router = new RestRouter([service]);
    expect(outcome(router, "GET", "/v1/things/x")).toBe("GetThing {id=x}");
    expect(outcome(router, "PURGE", "/v1/things/x")).toBe("Purge {id=x}");
  });
});
