import { connect as connectHttp2 } from "node:http2";
import { Code as ConnectCode, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Validator } from "@seriousme/openapi-schema-validator";
import { CatalogService } from "@weft/gen/shop/catalog/v1/catalog_pb.js";
import { createMesh } from "@weft/mesh";
import type { App } from "@weft/mesh/app";
import { TestMesh } from "@weft/mesh/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GatewaySettings, gatewaySettingsFromEnv } from "../../src/config.ts";
import { type Gateway, startGateway } from "../../src/server.ts";
import { createTokens, startFakes, type Tokens } from "./fakes.ts";

const world = new TestMesh();
let tokens: Tokens;
let gateway: Gateway;
let base: string;
let addresses: Awaited<ReturnType<typeof startFakes>>;

async function startEdge(overrides: Partial<GatewaySettings> = {}, app: App = world.app): Promise<Gateway> {
  const settings: GatewaySettings = {
    ...gatewaySettingsFromEnv({}),
    host: "127.0.0.1",
    port: 0,
    corsOrigins: "https://shop.example",
    maxBodyBytes: 4096,
    ...overrides,
  };
  const mesh = await createMesh({
    name: "gateway",
    app,
    config: { ...world.config(), clientTimeoutMs: 2_000 },
    env: {
      IDENTITY_ADDR: addresses.identity,
      CATALOG_ADDR: addresses.catalog,
      ORDERS_ADDR: addresses.orders,
      // Nothing listens there: readiness must say so.
      INVENTORY_ADDR: "127.0.0.1:1",
      NOTIFICATIONS_ADDR: "127.0.0.1:1",
    },
  });
  world.track(mesh);
  return startGateway(mesh, settings);
}

beforeAll(async () => {
  tokens = await createTokens();
  addresses = await startFakes(world, tokens);
  gateway = await startEdge();
  base = `http://127.0.0.1:${gateway.port}`;
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await world.close();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers });
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("REST transcoding at the edge", () => {
  it("serves a public list without a token", async () => {
    const response = await get("/v1/products");
    expect(response.status).toBe(200);
    const body = (await response.json()) as { products: Array<{ id: string; price: { amountMinor: string } }> };
    expect(body.products.map((p) => p.id)).toEqual(["p-1", "p-2"]);
    expect(body.products[0]?.price.amountMinor).toBe("1999"); // int64 as a string
  });

  it("answers upstream errors as google.rpc.Status JSON with the mapped HTTP status", async () => {
    const response = await get("/v1/products/nope");
    expect(response.status).toBe(404);
    const status = (await response.json()) as {
      code: number;
      message: string;
      details: Array<{ "@type": string; reason?: string }>;
    };
    expect(status.code).toBe(5);
    expect(status.details[0]).toMatchObject({
      "@type": "type.googleapis.com/google.rpc.ErrorInfo",
      reason: "PRODUCT_NOT_FOUND",
    });
  });

  it("answers malformed input with 400 and field violations", async () => {
    const token = await tokens.sign({ role: "admin" });
    const response = await post("/v1/products", '{"name": 12', { authorization: `Bearer ${token}` });
    expect(response.status).toBe(400);
    const status = (await response.json()) as { code: number; details: Array<{ "@type": string }> };
    expect(status.code).toBe(3);
    expect(status.details[0]?.["@type"]).toBe("type.googleapis.com/google.rpc.BadRequest");
  });

  it("404s unknown paths and 405s a known path with the wrong method", async () => {
    expect((await get("/v1/nothing-here")).status).toBe(404);
    const wrong = await fetch(`${base}/v1/products/p-1`, { method: "DELETE" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toContain("GET");
  });

  it("sends a JSON answer with its Content-Length, not chunked, with the edge's headers", async () => {
    const response = await get("/v1/products/p-1", { "x-request-id": "edge-len-1", origin: "https://shop.example" });
    const body = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(String(Buffer.byteLength(body)));
    expect(response.headers.get("transfer-encoding")).toBeNull();
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("x-request-id")).toBe("edge-len-1");
    expect(response.headers.get("access-control-allow-origin")).toBe("https://shop.example");
  });

  it("refuses bodies over the limit with 413", async () => {
    const token = await tokens.sign();
    const response = await post(
      "/v1/orders",
      { paymentMethod: "x".repeat(10_000) },
      { authorization: `Bearer ${token}` },
    );
    expect(response.status).toBe(413);
  });

  it("streams a server-streaming RPC as NDJSON", async () => {
    const token = await tokens.sign();
    const response = await get("/v1/orders/o-1:watch", { authorization: `Bearer ${token}` });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await response.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { order: { status: string } });
    expect(lines.map((l) => l.order.status)).toEqual(["ORDER_STATUS_PENDING", "ORDER_STATUS_CONFIRMED"]);
  });
});

describe("REST over cleartext HTTP/2", () => {
  /** One request on a fresh h2c session: status and body text. */
  async function h2(method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
    const session = connectHttp2(base);
    try {
      return await new Promise((resolve, reject) => {
        const headers = { ":method": method, ":path": path, "content-type": "application/json" };
        // No body: the stream ends with its HEADERS frame, which the edge reads as "no body".
        const stream = session.request(headers, { endStream: body === undefined });
        let status = 0;
        let text = "";
        stream.on("response", (response) => {
          status = Number(response[":status"]);
        });
        stream.setEncoding("utf8");
        stream.on("data", (chunk: string) => {
          text += chunk;
        });
        stream.on("end", () => resolve({ status, text }));
        stream.on("error", reject);
        if (body !== undefined) stream.end(body);
      });
    } finally {
      session.close();
    }
  }

  it("reads a request body sent in DATA frames, and serves a request without one", async () => {
    const signUp = await h2("POST", "/v1/auth/signup", JSON.stringify({ email: "h2@example.com", displayName: "H" }));
    expect(signUp.status).toBe(200);
    expect(JSON.parse(signUp.text)).toMatchObject({ user: { email: "h2@example.com", displayName: "H" } });
    const list = await h2("GET", "/v1/products");
    expect(list.status).toBe(200);
    expect((JSON.parse(list.text) as { products: unknown[] }).products).toHaveLength(2);
  });
});

describe("edge security", () => {
  it("requires a token for non-public routes", async () => {
    const response = await get("/v1/orders/o-1");
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: number }).code).toBe(16);
  });

  it("accepts a valid token and forwards the request id", async () => {
    const response = await get("/v1/orders/o-1", {
      authorization: `Bearer ${await tokens.sign()}`,
      "x-request-id": "edge-req-1",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("edge-req-1");
  });

  it.each([
    ["alg none", () => tokens.unsigned()],
    ["expired", () => tokens.sign({ exp: Math.floor(Date.now() / 1000) - 60 })],
    ["wrong issuer", () => tokens.sign({ iss: "someone-else" })],
    ["wrong audience", () => tokens.sign({ aud: "other-app" })],
    ["bad signature", () => tokens.signWithStrangerKey()],
    ["garbage", async () => "not.a.jwt"],
  ])("refuses a token with %s: 401", async (_, token) => {
    const response = await get("/v1/orders/o-1", { authorization: `Bearer ${await token()}` });
    expect(response.status).toBe(401);
  });

  it("with no edge.auth in weft.app.yaml, serves public RPCs only: every other one is 401", async () => {
    const { manifest } = world.app;
    const anonymousOnly = await startEdge(
      {},
      { ...world.app, manifest: { ...manifest, edge: { ...manifest.edge, auth: undefined } } },
    );
    try {
      const url = (path: string) => `http://127.0.0.1:${anonymousOnly.port}${path}`;
      expect((await fetch(url("/v1/products"))).status).toBe(200);
      expect((await fetch(url("/v1/orders/o-1"))).status).toBe(401);
      const withToken = await fetch(url("/v1/orders/o-1"), {
        headers: { authorization: `Bearer ${await tokens.sign()}` },
      });
      expect(withToken.status).toBe(401);
      expect(((await withToken.json()) as { message: string }).message).toMatch(/no edge\.auth/);
    } finally {
      await anonymousOnly.close();
    }
  });

  it("makes up a request id when the client sends none", async () => {
    const response = await get("/v1/products");
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers CORS preflights for allowed origins only", async () => {
    const allowed = await fetch(`${base}/v1/products`, {
      method: "OPTIONS",
      headers: { origin: "https://shop.example", "access-control-request-method": "GET" },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://shop.example");
    const refused = await fetch(`${base}/v1/products`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example" },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("rate-limits per client address with 429 and Retry-After", async () => {
    const limited = await startEdge({ ipBurst: 3, ipRatePerSecond: 1 });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 5; i++) {
        const response = await fetch(`http://127.0.0.1:${limited.port}/v1/products`);
        statuses.push(response.status);
        if (response.status === 429) retryAfter = response.headers.get("retry-after");
      }
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses.slice(3)).toEqual([429, 429]);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      await limited.close();
    }
  });
});

describe("Connect, gRPC-Web and gRPC on the same port", () => {
  it.each([
    ["Connect (JSON)", () => createConnectTransport({ baseUrl: base, httpVersion: "1.1", useBinaryFormat: false })],
    ["Connect (binary)", () => createConnectTransport({ baseUrl: base, httpVersion: "1.1", useBinaryFormat: true })],
    ["gRPC-Web", () => createGrpcWebTransport({ baseUrl: base, httpVersion: "1.1" })],
    ["gRPC over h2c", () => createGrpcTransport({ baseUrl: base })],
  ])("%s lists products", async (_, transport) => {
    const client = createClient(CatalogService, transport());
    const response = await client.listProducts({});
    expect(response.products.map((p) => p.id)).toEqual(["p-1", "p-2"]);
  });

  it("carries upstream error codes and details through Connect", async () => {
    const client = createClient(CatalogService, createConnectTransport({ baseUrl: base, httpVersion: "1.1" }));
    const error = await client.getProduct({ id: "nope" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(ConnectCode.NotFound);
  });

  it("requires a token over gRPC too", async () => {
    const client = createClient(CatalogService, createGrpcTransport({ baseUrl: base }));
    const error = await client.createProduct({ product: { name: "x" } }).catch((e: unknown) => e);
    expect((error as ConnectError).code).toBe(ConnectCode.Unauthenticated);
  });
});

describe("health and the OpenAPI document", () => {
  it("/healthz is up; /readyz says only that an upstream is unreachable, not which or where", async () => {
    expect((await get("/healthz")).status).toBe(200);
    const ready = await get("/readyz");
    expect(ready.status).toBe(503);
    const text = await ready.text();
    expect(JSON.parse(text)).toEqual({ ready: false });
    expect(text).not.toMatch(/127\.0\.0\.1|Service|UNREACHABLE/);
  });

  it("serves an OpenAPI 3.1 document that validates", async () => {
    const response = await get("/openapi.json");
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths)).toContain("/v1/orders/{id}:cancel");
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });
});
