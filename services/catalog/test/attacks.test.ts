// What an anonymous attacker can send the catalog through the edge: none of it may be INTERNAL,
// and none of it may open the edge's breaker for everyone else.
import { randomUUID } from "node:crypto";
import { Code } from "@weft/mesh";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failure, startCatalog } from "./support/world.ts";

let world: Awaited<ReturnType<typeof startCatalog>>;
beforeAll(async () => {
  world = await startCatalog();
  for (let i = 0; i < 3; i++) {
    await world.gateway.createProduct(
      { product: { name: `attack-${i}`, price: { amountMinor: 100n, currency: "USD" } } },
      world.admin,
    );
  }
});
afterAll(() => world?.mesh.close());

const unsignedCursor = (wire: unknown) => Buffer.from(JSON.stringify(wire)).toString("base64url");

describe("hostile input", () => {
  it("answers NUL bytes in text with INVALID_ARGUMENT naming the field, and the breaker stays closed", async () => {
    // The gateway's client has the edge's breaker (5 consecutive upstream failures open it).
    for (let i = 0; i < 12; i++) {
      const error = await failure(world.gateway.listProducts({ query: `mug\u0000${i}` }));
      expect(error.code).toBe(Code.INVALID_ARGUMENT);
      expect(error.fieldViolations.map((v) => v.field)).toEqual(["query"]);
    }
    const created = await failure(
      world.gateway.createProduct(
        { product: { name: "ok", description: "a\u0000b", price: { amountMinor: 1n, currency: "USD" } } },
        world.admin,
      ),
    );
    expect(created.fieldViolations.map((v) => v.field)).toEqual(["product.description"]);
    const { products } = await world.gateway.listProducts({ pageSize: 1 });
    expect(products).toHaveLength(1);
  });

  it("refuses crafted and tampered page tokens with INVALID_ARGUMENT page_token, never INTERNAL", async () => {
    const { nextPageToken } = await world.gateway.listProducts({ pageSize: 1 });
    expect(nextPageToken).not.toBe("");
    const [payload, signature] = nextPageToken.split(".");
    const wire = JSON.parse(Buffer.from(payload!, "base64url").toString()) as Record<string, unknown>;
    const tampered = `${unsignedCursor({ ...wire, t: 8.64e15 + 1 })}.${signature}`;
    const tokens = [
      // What broke main: a well-formed cursor whose time no Date can hold.
      unsignedCursor({ t: 8.64e15 + 1, i: randomUUID(), q: "", a: 0 }),
      unsignedCursor({ t: Number.MAX_SAFE_INTEGER, i: "x", q: "", a: 0 }),
      tampered,
      `${payload}.${"A".repeat(22)}`,
      `${payload}x.${signature}`,
    ];
    for (let round = 0; round < 3; round++) {
      for (const pageToken of tokens) {
        const error = await failure(world.gateway.listProducts({ pageSize: 1, pageToken }));
        expect([Code[error.code], error.fieldViolations.map((v) => v.field)]).toEqual([
          "INVALID_ARGUMENT",
          ["page_token"],
        ]);
      }
    }
    // The real token still works, and so does everyone else's next request.
    await expect(world.gateway.listProducts({ pageSize: 1, pageToken: nextPageToken })).resolves.toBeDefined();
  });
});
