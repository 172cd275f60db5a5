import { execFileSync } from "node:child_process";
import { create, createFileRegistry, type DescMethod, fromBinary, getOption, hasOption } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { http } from "@weft/gen/google/api/annotations_pb.js";
import type { HttpRule } from "@weft/gen/google/api/http_pb.js";
import { allow_anonymous as allowAnonymous } from "@weft/gen/weft/api/v1/access_pb.js";
import { describe, expect, it } from "vitest";
import type { OpenApiDocument, Operation } from "../../src/codegen/openapi/openapi-types.ts";
import { openApiPlugin } from "../../src/codegen/openapi/plugin.ts";

const root = new URL("../../../", import.meta.url);

/** The shop's contracts as buf compiles them: every file under proto/ plus its imports. */
function shopImage() {
  const image = execFileSync("node_modules/.bin/buf", ["build", "proto", "-o", "-#format=binpb"], { cwd: root });
  return fromBinary(FileDescriptorSetSchema, image).file;
}

/** Runs the plugin in-process on the shop, as buf's `strategy: all` would. */
function generateShop(parameter = "packages=shop.") {
  const files = shopImage();
  const response = openApiPlugin.run(
    create(CodeGeneratorRequestSchema, {
      fileToGenerate: files.filter((f) => f.name.startsWith("shop/")).map((f) => f.name),
      parameter,
      protoFile: files,
    }),
  );
  expect(response.error ?? "").toBe("");
  return response;
}

function shopDocument(): OpenApiDocument {
  return JSON.parse(generateShop().file[0]?.content ?? "null") as OpenApiDocument;
}

/**
 * The shop's REST routes read straight from the descriptors with the generated HttpRule types,
 * independently of the plugin's own (reflective) reading.
 */
function expectedRoutes(): { method: string; path: string; rpc: string; anonymous: boolean }[] {
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: shopImage() }));
  const routes: { method: string; path: string; rpc: string; anonymous: boolean }[] = [];
  const add = (method: DescMethod, rule: HttpRule) => {
    const { case: verb, value } = rule.pattern;
    if (verb === undefined) return;
    const [httpMethod, path] = verb === "custom" ? [value.kind.toLowerCase(), value.path] : [verb, value];
    routes.push({
      method: httpMethod,
      path,
      rpc: `${method.parent.name}_${method.name}`,
      anonymous: getOption(method, allowAnonymous),
    });
  };
  for (const file of registry.files) {
    if (!file.proto.package.startsWith("shop.")) continue;
    for (const service of file.services) {
      for (const method of service.methods) {
        if (!hasOption(method, http)) continue;
        const rule = getOption(method, http);
        add(method, rule);
        for (const extra of rule.additionalBindings) add(method, extra);
      }
    }
  }
  return routes;
}

function operation(doc: OpenApiDocument, method: "get" | "post" | "patch", path: string): Operation {
  const op = doc.paths[path]?.[method];
  if (op === undefined) throw new Error(`no ${method} ${path}`);
  return op;
}

/** Every `$ref` in a JSON value, wherever it sits. */
function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === "$ref" && typeof inner === "string" ? [inner] : refsIn(inner),
  );
}

/** Follows a local JSON pointer (`#/components/schemas/x`) through the document. */
function resolvePointer(doc: unknown, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (typeof node !== "object" || node === null || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

describe("protoc-gen-weft-openapi on the shop", () => {
  const doc = shopDocument();
  const routes = expectedRoutes();

  it("writes one OpenAPI 3.1.0 document", () => {
    const response = generateShop("packages=shop.,title=Weft shop API,version=2024-05");
    expect(response.file.map((f) => f.name)).toEqual(["weft.openapi.json"]);
    const titled = JSON.parse(response.file[0]?.content ?? "null") as OpenApiDocument;
    expect(titled.openapi).toBe("3.1.0");
    expect(titled.info).toEqual({ title: "Weft shop API", version: "2024-05" });
    expect(doc.info).toEqual({ title: "Weft API", version: "v1" });
  });

  it("has every REST route of the protos, with its method, and nothing else", () => {
    expect(routes.length).toBeGreaterThanOrEqual(16);
    for (const route of routes) {
      // The shop's templates use plain `{field}` variables, so the OpenAPI path is the template.
      expect(route.path).not.toContain("=");
      const op = doc.paths[route.path]?.[route.method as "get"];
      expect(op?.operationId, `${route.method} ${route.path}`).toBe(route.rpc);
    }
    const documented = Object.values(doc.paths).flatMap((item) => Object.values(item));
    expect(documented).toHaveLength(routes.length);
    const ids = documented.map((op) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("tags each operation with its service and takes summary and description from comments", () => {
    const op = operation(doc, "get", "/v1/orders/{id}");
    expect(op.tags).toEqual(["OrderService"]);
    expect(op.summary).toBe("GetOrder returns one order.");
    expect(op.description).toContain("NOT_FOUND if it does not exist or belongs to someone else.");
    expect(doc.tags.map((t) => t.name)).toEqual(
      expect.arrayContaining(["CatalogService", "IdentityService", "InventoryService", "OrderService"]),
    );
  });

  it("declares a path parameter for every template variable, nested names kept", () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      const variables = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(item)) {
        const pathParams = (op.parameters ?? []).filter((p) => p.in === "path");
        expect(
          pathParams.map((p) => p.name),
          path,
        ).toEqual(variables);
        expect(pathParams.every((p) => p.required)).toBe(true);
      }
    }
    const update = operation(doc, "patch", "/v1/products/{product.id}");
    expect(update.parameters?.find((p) => p.in === "path")).toMatchObject({
      name: "product.id",
      schema: { type: "string" },
    });
  });

  it("sends the whole request as the body of POST /v1/orders", () => {
    const place = operation(doc, "post", "/v1/orders");
    expect(place.requestBody?.required).toBe(true);
    expect(place.requestBody?.content["application/json"]?.schema).toEqual({
      $ref: "#/components/schemas/shop.orders.v1.PlaceOrderRequest",
    });
    expect(place.parameters).toBeUndefined();
  });

  it("leaves path-bound fields out of a body:* request body", () => {
    const cancel = operation(doc, "post", "/v1/orders/{id}:cancel");
    const schema = cancel.requestBody?.content["application/json"]?.schema;
    expect(Object.keys(schema?.properties ?? {})).toEqual(["reason"]);
    expect(cancel.requestBody?.description).toContain("`id`");
  });

  it("sends the named field as the body of body:field, the rest as query parameters", () => {
    const create = operation(doc, "post", "/v1/products");
    expect(create.requestBody?.content["application/json"]?.schema).toEqual({
      $ref: "#/components/schemas/shop.catalog.v1.Product",
    });
    expect(create.parameters?.map((p) => p.name)).toEqual(["idempotencyKey"]);
    const update = operation(doc, "patch", "/v1/products/{product.id}");
    expect(update.parameters?.filter((p) => p.in === "query").map((p) => p.name)).toEqual(["updateMask"]);
  });

  it("turns the remaining request fields of GET /v1/products into lowerCamel query parameters", () => {
    const list = operation(doc, "get", "/v1/products");
    expect(list.parameters?.map((p) => [p.name, p.in])).toEqual([
      ["pageSize", "query"],
      ["pageToken", "query"],
      ["query", "query"],
      ["includeInactive", "query"],
    ]);
    expect(list.parameters?.[0]?.schema).toEqual({ type: "integer", format: "int32" });
    const get = operation(doc, "get", "/v1/products/{id}");
    expect(get.parameters?.map((p) => p.name)).toEqual(["id"]);
  });

  it("documents server streaming as NDJSON of the stream's messages", () => {
    const ok = operation(doc, "get", "/v1/orders/{id}:watch").responses["200"];
    expect(ok?.content).toEqual({
      "application/x-ndjson": { schema: { $ref: "#/components/schemas/shop.orders.v1.WatchOrderResponse" } },
    });
    expect(ok?.description).toContain("each line is one message");
  });

  it("answers 200 with the response message and errors with google.rpc.Status", () => {
    for (const op of Object.values(doc.paths).flatMap((item) => Object.values(item))) {
      expect(op.responses.default?.content?.["application/json"]?.schema).toEqual({
        $ref: "#/components/schemas/google.rpc.Status",
      });
      expect(op.responses["200"]).toBeDefined();
    }
    expect(doc.components.schemas["google.rpc.Status"]?.properties).toHaveProperty("details");
  });

  it("documents no route for payments, which has no REST surface", () => {
    const paymentOps = Object.values(doc.paths)
      .flatMap((item) => Object.values(item))
      .filter((op) => op.tags.includes("PaymentService"));
    expect(paymentOps).toEqual([]);
    expect(Object.keys(doc.components.schemas).some((name) => name.startsWith("shop.payments."))).toBe(false);
  });

  it("writes schemas in the proto3 JSON mapping", () => {
    const schemas = doc.components.schemas;
    const money = schemas["shop.catalog.v1.Money"];
    expect(money?.properties?.amountMinor).toMatchObject({ type: "string", format: "int64" });
    const stock = schemas["shop.inventory.v1.StockLevel"];
    expect(stock?.properties?.onHand).toMatchObject({ type: "string", format: "int64" });
    const order = schemas["shop.orders.v1.Order"];
    expect(order?.properties?.lines).toMatchObject({
      type: "array",
      items: { $ref: "#/components/schemas/shop.orders.v1.OrderLine" },
    });
    expect(order?.properties?.status).toMatchObject({ $ref: "#/components/schemas/shop.orders.v1.OrderStatus" });
    expect(order?.properties?.createTime).toMatchObject({ $ref: "#/components/schemas/google.protobuf.Timestamp" });
    expect(schemas["google.protobuf.Timestamp"]).toMatchObject({ type: "string", format: "date-time" });
    expect(schemas["shop.orders.v1.OrderStatus"]).toMatchObject({
      type: "string",
      enum: [
        "ORDER_STATUS_UNSPECIFIED",
        "ORDER_STATUS_PENDING",
        "ORDER_STATUS_CONFIRMED",
        "ORDER_STATUS_REJECTED",
        "ORDER_STATUS_CANCELLED",
      ],
    });
    expect(schemas["shop.catalog.v1.UpdateProductRequest"]).toBeUndefined();
    expect(schemas["google.protobuf.FieldMask"]).toMatchObject({ type: "string" });
  });

  it("maps REQUIRED to required and OUTPUT_ONLY to readOnly", () => {
    const schemas = doc.components.schemas;
    expect(schemas["shop.orders.v1.PlaceOrderRequest"]?.required).toEqual(["items", "paymentMethod"]);
    expect(schemas["shop.catalog.v1.Product"]?.required).toEqual(["name", "price"]);
    expect(schemas["shop.catalog.v1.Product"]?.properties?.available?.readOnly).toBe(true);
    expect(schemas["shop.identity.v1.User"]?.properties?.id?.readOnly).toBe(true);
    expect(schemas["shop.catalog.v1.Product"]?.properties?.name?.readOnly).toBeUndefined();
  });

  it("requires a bearer token everywhere except on RPCs marked weft.api.v1.allow_anonymous", () => {
    expect(doc.components.securitySchemes.bearer).toEqual(
      expect.objectContaining({ type: "http", scheme: "bearer", bearerFormat: "JWT" }),
    );
    // The RPCs the contracts mark allow_anonymous, by their REST routes, read from the descriptors
    // independently of the plugin: the shop's five, and those of any service scaffolded since
    // (`weft new service` marks its RPCs allow_anonymous).
    const shopPublic = [
      "POST /v1/auth/signup",
      "POST /v1/auth/login",
      "GET /.well-known/jwks.json",
      "GET /v1/products",
      "GET /v1/products/{id}",
    ];
    const publicKeys = new Set(
      expectedRoutes()
        .filter((route) => route.anonymous)
        .map((route) => `${route.method.toUpperCase()} ${route.path}`),
    );
    for (const key of shopPublic) expect(publicKeys).toContain(key);
    let publicSeen = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (publicKeys.has(`${method.toUpperCase()} ${path}`)) {
          publicSeen++;
          expect(op.security, `${method} ${path}`).toBeUndefined();
        } else {
          expect(op.security, `${method} ${path}`).toEqual([{ bearer: [] }]);
        }
      }
    }
    expect(publicSeen).toBe(publicKeys.size);
  });

  it("resolves every $ref and keeps only schemas something refers to", () => {
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(resolvePointer(doc, ref), ref).toBeDefined();
    const referenced = new Set(refs.map((r) => r.replace("#/components/schemas/", "")));
    for (const name of Object.keys(doc.components.schemas)) expect(referenced, name).toContain(name);
  });

  it("is deterministic", () => {
    expect(generateShop().file[0]?.content).toBe(generateShop().file[0]?.content);
  });
});
