// The JSON API's answers to bad input (400/404 with a message, never 500).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConsole, type WeftConsole } from "../src/console.ts";
import { buildDescriptors } from "./support/mini-mesh.ts";
import { catalogChargeDenied, span } from "./support/spans.ts";

const dir = mkdtempSync(join(tmpdir(), "console-api-"));
let console: WeftConsole;

beforeAll(async () => {
  console = await startConsole({
    dataDir: dir,
    port: 0,
    otlp: { httpPort: 0, grpcPort: -1 },
    assets: false,
    descriptors: buildDescriptors(dir),
  });
  console.ingestSpans([
    span({
      service: "payments",
      events: [catalogChargeDenied()],
    }),
  ]);
}, 30_000);
afterAll(async () => {
  await console.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: { error?: string } & Record<string, unknown> }> {
  const response = await fetch(`${console.url}${path}`, init);
  return { status: response.status, body: (await response.json()) as { error?: string } };
}

describe("the JSON API", () => {
  it.each([
    ["/api/logs?level=loud", 400, "level must be one of"],
    ["/api/logs?traceId=xyz", 400, "traceId must be 32 hex digits"],
    ["/api/traces?limit=0", 400, "limit must be from 1"],
    ["/api/traces?limit=ten", 400, "limit must be an integer"],
    ["/api/decisions?decision=maybe", 400, "decision must be allow or deny"],
    [`/api/traces/${"f".repeat(32)}`, 404, "no trace"],
    ["/api/nothing", 404, "no API at /api/nothing"],
    ["/api/events", 503, "not told where NATS is"],
    ["/", 404, "serves its API only"],
  ])("GET %s → %i", async (path, status, message) => {
    const answer = await get(path);
    expect(answer.status).toBe(status);
    expect(answer.body.error).toContain(message);
  });

  it.each([
    [undefined, "send a JSON object"],
    ["{", "the body is not JSON"],
    [JSON.stringify({ via: "mesh" }), "path: required"],
    [JSON.stringify({ path: "/weft.echo.v1.EchoService/Echo", via: "carrier pigeon" }), "via: edge or mesh"],
    [JSON.stringify({ path: "/no.Such/Rpc", via: "mesh", identity: "front" }), "no RPC /no.Such/Rpc"],
    [
      JSON.stringify({ path: "/weft.echo.v1.EchoService/Echo", via: "mesh", identity: "front", body: { text: 5 } }),
      "not a valid weft.echo.v1.EchoRequest",
    ],
    [JSON.stringify({ path: "/weft.echo.v1.EchoService/Chat", via: "mesh", identity: "front" }), "bidi streaming"],
    [JSON.stringify({ path: "/weft.echo.v1.EchoService/Echo", via: "edge" }), "the edge is not running"],
  ])("POST /api/call %s → 400", async (body, message) => {
    const answer = await get("/api/call", { method: "POST", body, headers: { "content-type": "application/json" } });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toContain(message);
  });

  it("takes GET only where it reads and POST only where it acts", async () => {
    expect((await get("/api/traces", { method: "POST" })).status).toBe(405);
    expect((await get("/api/call")).status).toBe(405);
  });

  it("lists every RPC with a request schema for the form", async () => {
    const { body } = await get("/api/rpcs");
    const rpcs = body.rpcs as Array<{ path: string; kind: string; http?: unknown }>;
    expect(rpcs.find((r) => r.path === "/shop.orders.v1.OrderService/PlaceOrder")).toMatchObject({
      kind: "unary",
      http: { verb: "post", path: "/v1/orders" },
    });
    expect(rpcs.find((r) => r.path === "/shop.orders.v1.OrderService/WatchOrder")?.kind).toBe("server_streaming");
    const schemas = (await get("/api/schemas/shop.orders.v1.PlaceOrderRequest")).body as Record<
      string,
      { fields: Array<{ name: string; cardinality: string; required: boolean }> }
    >;
    expect(schemas["shop.orders.v1.PlaceOrderRequest"]?.fields).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "items", cardinality: "list", required: true }),
        expect.objectContaining({ name: "idempotencyKey", cardinality: "single", required: false }),
      ]),
    );
    expect(schemas["shop.orders.v1.OrderItem"]).toBeDefined();
  });
});
