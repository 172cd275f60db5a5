// Control characters sent through the edge to the real identity and catalog services (real
// PostgreSQL, which refuses NUL in text): every answer is a 4xx, never a 5xx, and afterwards a
// normal request still succeeds — the inputs neither fail the services nor open the edge's
// circuit breaker for everyone else.
import { randomUUID } from "node:crypto";
import { createMesh } from "@weft/mesh";
import { TestMesh } from "@weft/mesh/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewaySettingsFromEnv } from "../../gateway/src/config.ts";
import { type Gateway, startGateway } from "../../gateway/src/server.ts";
import { catalogService } from "../../services/catalog/src/service.ts";
import { identityService } from "../../services/identity/src/service.ts";

const world = new TestMesh();
const run = randomUUID().slice(0, 8);
let gateway: Gateway;
let base: string;

beforeAll(async () => {
  // The same few accounts are tried many times: keep the login and sign-up backoff out of the way.
  const identity = await world.start(identityService(), {
    env: { LOGIN_FREE_ATTEMPTS: "1000", SIGN_UP_FREE_ATTEMPTS: "1000", IDENTITY_DEV_KEY_ENCRYPTION: "true" },
  });
  const catalog = await world.start(catalogService(), {
    env: { IDENTITY_ADDR: identity.address, CATALOG_INVENTORY_CONSUMER: `catalog-control-${run}` },
  });
  const mesh = await createMesh({
    name: "gateway",
    config: world.config(),
    // Inventory, orders and notifications are not reached by these paths.
    env: {
      IDENTITY_ADDR: identity.address,
      CATALOG_ADDR: catalog.address,
      INVENTORY_ADDR: catalog.address,
      ORDERS_ADDR: catalog.address,
      NOTIFICATIONS_ADDR: catalog.address,
    },
  });
  world.track(mesh);
  gateway = await startGateway(mesh, {
    ...gatewaySettingsFromEnv({}),
    host: "127.0.0.1",
    port: 0,
    ipBurst: 1_000_000,
    ipRatePerSecond: 1_000_000,
  });
  base = `http://127.0.0.1:${gateway.port}`;
}, 120_000);

afterAll(async () => {
  await gateway?.close(100);
  await world.close();
});

const controlChars = [...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)), "\x7f"];

/** Characters for the cases that cost a password hash each (so not all 33 of them). */
const someControlChars = ["\x00", "\x01", "\t", "\n", "\x1f", "\x7f"];

/** Every request shape that carries text to a service, with the control character in it. */
const cases = (c: string): Array<[string, string, string | undefined]> => {
  const code = c.charCodeAt(0).toString(16);
  const cheap: Array<[string, string, string | undefined]> = [
    ["GET", `/v1/products?query=${encodeURIComponent(`mug${c}`)}`, undefined],
    ["GET", `/v1/products?pageToken=${encodeURIComponent(`tok${c}`)}`, undefined],
    ["GET", `/v1/products/${encodeURIComponent(`p${c}1`)}`, undefined],
    ["POST", "/v1/auth/login", JSON.stringify({ email: `a${c}@example.com`, password: "password-123" })],
    ["POST", "/v1/auth/signup", JSON.stringify({ email: `s${c}@example.com`, password: "password-123" })],
  ];
  if (!someControlChars.includes(c)) return cheap;
  return [
    ...cheap,
    ["POST", "/v1/auth/login", JSON.stringify({ email: `login-${run}@example.com`, password: `pass${c}word-123` })],
    [
      "POST",
      "/v1/auth/signup",
      JSON.stringify({ email: `signup-${code}-${run}@example.com`, password: "password-123", displayName: `Ann${c}` }),
    ],
    [
      "POST",
      "/v1/auth/signup",
      JSON.stringify({ email: `pw-${code}-${run}@example.com`, password: `pass${c}word-123` }),
    ],
  ];
};

describe("control characters through the edge to the real services", () => {
  it("are answered with 4xx, never 5xx, and a normal request still succeeds after them", async () => {
    const failures: string[] = [];
    for (const c of controlChars) {
      for (const [method, path, body] of cases(c)) {
        const response = await fetch(`${base}${path}`, {
          method,
          headers: { "content-type": "application/json" },
          body,
        });
        const text = await response.text();
        if (response.status >= 500) failures.push(`${response.status} ${method} ${path} ${body ?? ""} → ${text}`);
      }
    }
    expect(failures).toEqual([]);
    expect((await fetch(`${base}/v1/products`)).status).toBe(200);
  }, 120_000);

  it("survive random text around them in every field", async () => {
    const text = fc
      .tuple(fc.string({ maxLength: 6 }), fc.constantFrom(...controlChars), fc.string({ maxLength: 6 }))
      .map((parts) => parts.join(""));
    await fc.assert(
      fc.asyncProperty(text, text, async (a, b) => {
        for (const [method, path, body] of [
          ["GET", `/v1/products?query=${encodeURIComponent(a)}&pageToken=${encodeURIComponent(b)}`, undefined],
          ["POST", "/v1/auth/login", JSON.stringify({ email: a, password: b })],
        ] as const) {
          const response = await fetch(`${base}${path}`, {
            method,
            headers: { "content-type": "application/json" },
            body,
          });
          await response.arrayBuffer();
          expect(response.status, `${method} ${path} ${body ?? ""}`).toBeLessThan(500);
        }
      }),
      { numRuns: 25 },
    );
    expect((await fetch(`${base}/v1/products`)).status).toBe(200);
  }, 120_000);
});
