import { createMesh } from "@weft/mesh";
import { TestMesh } from "@weft/mesh/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewaySettingsFromEnv } from "../../src/config.ts";
import { type Gateway, startGateway } from "../../src/server.ts";
import { createTokens, startFakes, type Tokens } from "./fakes.ts";

/**
 * Throws malformed JSON, wrong types, unknown fields, oversize bodies and odd paths at a real
 * gateway (with stand-in upstreams): every answer must be a 4xx (or a 2xx), never a 5xx, and the
 * gateway must keep answering.
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
});
