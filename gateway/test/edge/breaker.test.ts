// Through a real gateway: requests anyone can send must not open the edge's shared breaker for
// an upstream. The catalog stand-in here puts the search text into a PostgreSQL query, as the
// real catalog does (PostgreSQL refuses a NUL in text).
import { CatalogServiceBinding, type CatalogServiceHandlers } from "@weft/gen/shop/catalog/v1/catalog_weft.js";
import { createMesh, provide } from "@weft/mesh";
import { createTestDatabase, type TestDatabase, TestMesh } from "@weft/mesh/testing";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewaySettingsFromEnv } from "../../src/config.ts";
import { type Gateway, startGateway } from "../../src/server.ts";
import { createTokens, startFakes } from "./fakes.ts";

const world = new TestMesh();
let database: TestDatabase;
let sql: postgres.Sql;
let gateway: Gateway;
let base: string;

beforeAll(async () => {
  database = await createTestDatabase("edge_breaker");
  sql = postgres(database.url, { max: 4, onnotice: () => {} });
  const catalog: CatalogServiceHandlers = {
    async listProducts(request) {
      const [row] = await sql<{ q: string }[]>`select ${request.query}::text as q`;
      return { products: [{ id: "p-1", name: `found ${row!.q}` }], nextPageToken: "" };
    },
    createProduct: async () => ({}),
    updateProduct: async () => ({}),
    getProduct: async () => ({}),
    batchGetProducts: async () => ({ products: [] }),
  };
  const catalogMesh = await createMesh({ name: "catalog", config: world.config() });
  world.track(catalogMesh);
  const catalogServer = await catalogMesh.serve([provide(CatalogServiceBinding, catalog)]);
  const fakes = await startFakes(world, await createTokens());
  // The edge's own mesh settings: the breaker opens after 5 consecutive upstream failures.
  const mesh = await createMesh({
    name: "gateway",
    config: world.config(),
    env: {
      IDENTITY_ADDR: fakes.identity,
      CATALOG_ADDR: `127.0.0.1:${catalogServer.port}`,
      ORDERS_ADDR: fakes.orders,
      INVENTORY_ADDR: fakes.catalog,
      NOTIFICATIONS_ADDR: fakes.catalog,
    },
  });
  world.track(mesh);
  gateway = await startGateway(mesh, {
    ...gatewaySettingsFromEnv({}),
    host: "127.0.0.1",
    port: 0,
    ipBurst: 1_000,
    ipRatePerSecond: 1_000,
  });
  base = `http://127.0.0.1:${gateway.port}`;
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await world.close();
  await sql?.end({ timeout: 5 });
  await database?.drop();
});

describe("the edge's breaker under anonymous hostile input", () => {
  it("answers NUL bytes with 400 naming the field, and the next shopper still gets 200", async () => {
    for (let i = 0; i < 12; i++) {
      const response = await fetch(`${base}/v1/products?query=mug%00${i}`);
      expect(response.status).toBe(400);
      const status = (await response.json()) as { details: Array<{ fieldViolations?: Array<{ field: string }> }> };
      expect(status.details[0]?.fieldViolations?.map((v) => v.field)).toEqual(["query"]);
    }
    const normal = await fetch(`${base}/v1/products?query=mug`);
    expect(normal.status).toBe(200);
    expect(((await normal.json()) as { products: Array<{ name: string }> }).products[0]?.name).toBe("found mug");
  });

  it("answers a NUL in a JSON body (login email) with 400 too", async () => {
    for (let i = 0; i < 8; i++) {
      const response = await fetch(`${base}/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: `ann\u0000${i}@example.com`, password: "password-123" }),
      });
      expect(response.status).toBe(400);
    }
    const login = await fetch(`${base}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "ann@example.com", password: "password-123" }),
    });
    expect(login.status).toBe(200);
  });
});
