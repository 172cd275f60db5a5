import { connect } from "node:net";
import { createMesh } from "@weft/mesh";
import { TestMesh } from "@weft/mesh/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewaySettingsFromEnv } from "../../src/config.ts";
import { type Gateway, startGateway } from "../../src/server.ts";
import { createTokens, startFakes, type Tokens } from "./fakes.ts";

/**
 * Throws malformed JSON, wrong types, unknown fields, oversize bodies, odd paths and control
 * characters (NUL, \x01–\x1f, DEL) in paths, queries, headers and bodies at a real gateway (with
 * stand-in upstreams): every answer must be a 4xx (or a 2xx), never a 5xx, and the gateway must
 * keep answering.
 */
const world = new TestMesh();
let tokens: Tokens;
let gateway: Gateway;
let base: string;

beforeAll(async () => {
  tokens = await createTokens();
  const addresses = await startFakes(world, tokens);
  const mesh = await createMesh({
    name: "gateway",
    app: world.app,
    config: world.config(),
    env: {
      IDENTITY_ADDR: addresses.identity,
      CATALOG_ADDR: addresses.catalog,
      ORDERS_ADDR: addresses.orders,
      // No stand-ins behind these: the paths above never route there.
      INVENTORY_ADDR: addresses.catalog,
      NOTIFICATIONS_ADDR: addresses.catalog,
    },
  });
  world.track(mesh);
  gateway = await startGateway(mesh, {
    ...gatewaySettingsFromEnv({}),
    host: "127.0.0.1",
    port: 0,
    maxBodyBytes: 2048,
    ipBurst: 1_000_000,
    ipRatePerSecond: 1_000_000,
    userBurst: 1_000_000,
    userRatePerSecond: 1_000_000,
  });
  base = `http://127.0.0.1:${gateway.port}`;
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await world.close();
});

const knownPaths = [
  "/v1/products",
  "/v1/products/p-1",
  "/v1/orders",
  "/v1/orders/o-1",
  "/v1/orders/o-1:cancel",
  "/v1/orders/o-1:watch",
  "/v1/auth/login",
];

const oddPath = fc.oneof(
  fc.constantFrom(...knownPaths),
  fc.constantFrom(...knownPaths).chain((p) => fc.string({ maxLength: 20 }).map((s) => `${p}${encodeURIComponent(s)}`)),
  fc
    .array(
      fc.oneof(
        fc.string({ maxLength: 12 }).map(encodeURIComponent),
        fc.constantFrom("..", ".", "%2F", "%00", ":x", "**"),
      ),
      { maxLength: 6 },
    )
    .map((parts) => `/v1/${parts.join("/")}`),
);

const oddBody = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
  fc
    .record({ items: fc.anything(), paymentMethod: fc.anything(), idempotencyKey: fc.anything() })
    .map((v) => JSON.stringify(v)),
  fc.record({ name: fc.anything(), price: fc.anything(), unknownField: fc.anything() }).map((v) => JSON.stringify(v)),
  fc.nat({ max: 5000 }).map((n) => `{"name":"${"x".repeat(n)}"}`),
);

const oddQuery = fc.array(
  fc.tuple(fc.constantFrom("pageSize", "page_size", "pageToken", "query", "x", "items"), fc.string({ maxLength: 30 })),
  { maxLength: 4 },
);

/** One control character: NUL, \x01–\x1f or DEL. */
const controlChar = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.constant(0x7f)).map((c) => String.fromCharCode(c));

/** Text with at least one control character somewhere in it. */
const controlText = fc
  .tuple(fc.string({ maxLength: 8 }), controlChar, fc.string({ maxLength: 8 }), fc.option(controlChar, { nil: "" }))
  .map((parts) => parts.join(""));

const controlPath = fc.oneof(
  controlText.map((t) => `/v1/products/${encodeURIComponent(t)}`),
  controlText.map((t) => `/v1/orders/${encodeURIComponent(t)}`),
  controlText.map((t) => `/v1/orders/${encodeURIComponent(t)}:cancel`),
  controlText.map((t) => `/v1/orders/${encodeURIComponent(t)}:watch`),
  controlText.map((t) => `/v1/${encodeURIComponent(t)}`),
  fc.constantFrom("/v1/products%00", "/v1/products/%00", "/v1/products/p-1%00", "/%7f", "/v1/orders/o-1%00:cancel"),
);

const controlQuery = fc.array(
  fc.tuple(fc.constantFrom("pageSize", "pageToken", "page_token", "query", "x", controlChar), controlText),
  { minLength: 1, maxLength: 3 },
);

const controlBody = fc.oneof(
  fc.record({ email: controlText, password: controlText }).map((v) => JSON.stringify(v)),
  fc
    .record({ email: fc.constant("a@example.com"), password: controlText, displayName: controlText })
    .map((v) => JSON.stringify(v)),
  fc
    .record({ name: controlText, description: controlText, price: fc.record({ currency: controlText }) })
    .map((v) => JSON.stringify(v)),
  fc
    .record({
      items: fc.array(fc.record({ productId: controlText, quantity: fc.integer() })),
      idempotencyKey: controlText,
    })
    .map((v) => JSON.stringify(v)),
  fc.record({ [String.fromCharCode(0)]: controlText }).map((v) => JSON.stringify(v)),
  // Raw control characters inside JSON strings are not JSON: still a 400, never a 500.
  controlText.map((t) => `{"email":"${t}","password":"x"}`),
);

const bodyPaths = ["/v1/auth/login", "/v1/auth/signup", "/v1/products", "/v1/orders", "/v1/orders/o-1:cancel"];

/** Sends raw bytes as one HTTP/1.1 request; resolves to the response's status (0: closed without one). */
function rawStatus(request: string): Promise<number> {
  const port = Number(new URL(base).port);
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let data = "";
    socket.on("data", (chunk: Buffer) => {
      data += chunk.toString("latin1");
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
    // Not end(): a client that half-closes gets no response from Node's HTTP server at all.
    socket.write(request, "latin1");
  });
}

describe("the gateway under hostile input", () => {
  it("answers only 2xx/4xx, never 5xx", async () => {
    const token = await tokens.sign({ role: "admin" });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PATCH", "DELETE", "PUT"),
        oddPath,
        oddQuery,
        oddBody,
        fc.boolean(),
        async (method, path, query, body, withToken) => {
          const search = new URLSearchParams(query).toString();
          const response = await fetch(`${base}${path}${search ? `?${search}` : ""}`, {
            method,
            headers: { "content-type": "application/json", ...(withToken ? { authorization: `Bearer ${token}` } : {}) },
            body: method === "GET" || method === "DELETE" ? undefined : body,
          });
          await response.arrayBuffer();
          expect(response.status, `${method} ${path}?${search} ${body.slice(0, 80)}`).toBeLessThan(500);
        },
      ),
      { numRuns: 400 },
    );
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  }, 120_000);

  it("answers control characters in paths, queries and JSON bodies with 2xx/4xx, never 5xx", async () => {
    const token = await tokens.sign({ role: "admin" });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.tuple(fc.constant("GET"), controlPath, controlQuery, fc.constant(undefined)),
          fc.tuple(fc.constantFrom("POST", "PATCH"), fc.constantFrom(...bodyPaths), fc.constant([]), controlBody),
          fc.tuple(fc.constant("POST"), controlPath, controlQuery, controlBody),
        ),
        fc.boolean(),
        async ([method, path, query, body], withToken) => {
          const search = new URLSearchParams(query as Array<[string, string]>).toString();
          const response = await fetch(`${base}${path}${search ? `?${search}` : ""}`, {
            method,
            headers: { "content-type": "application/json", ...(withToken ? { authorization: `Bearer ${token}` } : {}) },
            body,
          });
          await response.arrayBuffer();
          expect(response.status, `${method} ${path}?${search} ${JSON.stringify(body)?.slice(0, 120)}`).toBeLessThan(
            500,
          );
        },
      ),
      { numRuns: 300 },
    );
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  }, 120_000);

  it.each([
    ["//%00", 404],
    ["//%2F", 404],
    ["/v1/..//%00", 404],
    ["//evil.example/v1/products", 404],
    ["*", 400],
    ["http://evil.example/v1/products", 200],
  ])("answers the request target %s with %i (a path on this host, never 5xx)", async (target, expected) => {
    const status = await rawStatus(`GET ${target} HTTP/1.1\r\nHost: edge\r\nConnection: close\r\n\r\n`);
    expect(status).toBe(expected);
  });

  it("answers control characters in the request line and headers with 4xx, never 5xx", async () => {
    const token = await tokens.sign();
    await fc.assert(
      fc.asyncProperty(
        controlChar,
        fc.constantFrom("path", "query", "header-value", "header-name", "authorization", "request-id", "content-type"),
        async (char, where) => {
          const path =
            where === "path"
              ? `/v1/products/p${char}1`
              : where === "query"
                ? `/v1/products?query=${char}`
                : "/v1/products";
          const headers = [
            "Host: edge",
            "Connection: close",
            where === "header-value" ? `X-Note: a${char}b` : "X-Note: ok",
            where === "header-name" ? `X-N${char}te: ok` : "X-Other: ok",
            where === "authorization" ? `Authorization: Bearer ${token}${char}` : `Authorization: Bearer ${token}`,
            where === "request-id" ? `X-Request-Id: id${char}1` : "X-Request-Id: id-1",
            where === "content-type" ? `Content-Type: application/json${char}` : "Content-Type: application/json",
          ];
          const status = await rawStatus(`GET ${path} HTTP/1.1\r\n${headers.join("\r\n")}\r\n\r\n`);
          expect(status, `${where} with \\x${char.charCodeAt(0).toString(16)}`).toBeGreaterThanOrEqual(200);
          expect(status, `${where} with \\x${char.charCodeAt(0).toString(16)}`).toBeLessThan(500);
        },
      ),
      { numRuns: 200 },
    );
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  }, 120_000);
});
