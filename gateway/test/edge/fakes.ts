// In-process stand-ins for the services behind the edge, served over the real mesh (mTLS and the
// istio/ policies) under the workload names the policies expect, and a key pair for tokens.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { RetryInfoSchema } from "@weft/gen/google/rpc/error_details_pb.js";
import type { ProductSchema } from "@weft/gen/shop/catalog/v1/catalog_pb.js";
import { CatalogServiceBinding, type CatalogServiceHandlers } from "@weft/gen/shop/catalog/v1/catalog_weft.js";
import { JwkSchema } from "@weft/gen/shop/identity/v1/identity_pb.js";
import { IdentityServiceBinding, type IdentityServiceHandlers } from "@weft/gen/shop/identity/v1/identity_weft.js";
import { OrderStatus } from "@weft/gen/shop/orders/v1/orders_pb.js";
import { OrderServiceBinding, type OrderServiceHandlers } from "@weft/gen/shop/orders/v1/orders_weft.js";
import { Code, createMesh, errorWithReason, provide, RpcError } from "@weft/mesh";
import { type TestMesh, TestTokens } from "@weft/mesh/testing";
import { type GatewaySettings, gatewaySettingsFromEnv } from "../../src/config.ts";

export type Tokens = TestTokens;

export function createTokens(): Promise<TestTokens> {
  return TestTokens.create();
}

const product = (id: string, name: string): MessageInitShape<typeof ProductSchema> => ({
  id,
  name,
  description: `${name}, for tests`,
  price: { amountMinor: 1999n, currency: "USD" },
  active: true,
  available: 7n,
});

/** The login email the fake identity answers as a throttled account: RESOURCE_EXHAUSTED with RetryInfo. */
export const throttledEmail = "throttled@example.com";
export const throttledRetrySeconds = 7;

/** The order id whose watch streams big messages as fast as the reader takes them, until cancelled. */
export const floodOrderId = "o-flood";
/** Bytes of padding in each flood message. */
export const floodMessageBytes = 16 * 1024;

/** What the flood stream did: messages produced, and whether (and when) the edge cancelled it. */
export const flood = { started: 0, produced: 0, cancelled: 0, cancelledAt: 0 };

/** Starts fake identity, catalog and orders servers; returns their addresses. */
export async function startFakes(
  world: TestMesh,
  tokens: Tokens,
): Promise<Record<"identity" | "catalog" | "orders", string>> {
  const identity: IdentityServiceHandlers = {
    async signUp(request) {
      return { user: { id: "u-new", email: request.email, displayName: request.displayName } };
    },
    async login(request) {
      if (request.email === throttledEmail) {
        throw new RpcError(Code.RESOURCE_EXHAUSTED, "too many failed logins; retry later", {
          details: [create(RetryInfoSchema, { retryDelay: { seconds: BigInt(throttledRetrySeconds), nanos: 0 } })],
        });
      }
      return { accessToken: await tokens.sign(), tokenType: "Bearer", expiresIn: 3600 };
    },
    async getJwks() {
      const { kty, kid, use, alg, crv, x, y } = tokens.jwk;
      return { keys: [create(JwkSchema, { kty, kid, use, alg, crv, x, y })] };
    },
    async getUser(request) {
      return { user: { id: request.id, email: "u@example.com" } };
    },
  };
  const catalog: CatalogServiceHandlers = {
    async createProduct(request) {
      return { product: { name: request.product?.name ?? "", id: "p-new" } };
    },
    async updateProduct(request) {
      return { product: request.product };
    },
    async getProduct(request) {
      if (request.id !== "p-1") throw errorWithReason(Code.NOT_FOUND, "PRODUCT_NOT_FOUND", `no product ${request.id}`);
      return { product: product("p-1", "Mug") };
    },
    async listProducts() {
      return { products: [product("p-1", "Mug"), product("p-2", "Hoodie")], nextPageToken: "" };
    },
    async batchGetProducts() {
      return { products: [] };
    },
  };
  const order = (status: OrderStatus) => ({
    order: { id: "o-1", userId: "user-1", status, createTime: timestampFromMs(Date.now()) },
  });
  const orders: OrderServiceHandlers = {
    async placeOrder() {
      return order(OrderStatus.PENDING);
    },
    async getOrder(request, context) {
      if (request.id !== "o-1") throw new RpcError(Code.NOT_FOUND, "no such order");
      // Echo what reached the service, so tests can see the edge forwarded the token and request id.
      context.responseTrailers.set("x-seen-request-id", context.requestId);
      return order(OrderStatus.CONFIRMED);
    },
    async listOrders() {
      return { orders: [] };
    },
    async cancelOrder() {
      return order(OrderStatus.CANCELLED);
    },
    async *watchOrder(request, context) {
      if (request.id === floodOrderId) {
        flood.started++;
        context.signal.addEventListener("abort", () => {
          flood.cancelled++;
          flood.cancelledAt = Date.now();
        });
        const padding = "x".repeat(floodMessageBytes);
        while (!context.signal.aborted) {
          flood.produced++;
          yield { order: { id: floodOrderId, status: OrderStatus.PENDING, statusReason: padding } };
        }
        return;
      }
      yield order(OrderStatus.PENDING);
      yield order(OrderStatus.CONFIRMED);
    },
  };
  const addresses = {} as Record<"identity" | "catalog" | "orders", string>;
  for (const [name, implementation] of [
    ["identity", provide(IdentityServiceBinding, identity)],
    ["catalog", provide(CatalogServiceBinding, catalog)],
    ["orders", provide(OrderServiceBinding, orders)],
  ] as const) {
    const mesh = await createMesh({ name, config: world.config() });
    const server = await mesh.serve([implementation]);
    world.track(mesh);
    addresses[name] = `127.0.0.1:${server.port}`;
  }
  return addresses;
}

/** Gateway settings for a test: loopback, a free port, then the test's overrides. */
export function testEdgeSettings(overrides: Partial<GatewaySettings> = {}): GatewaySettings {
  return { ...gatewaySettingsFromEnv({}), host: "127.0.0.1", port: 0, ...overrides };
}

/**
 * Where the gateway's mesh finds its upstreams: the stand-ins' addresses, and nothing behind
 * inventory and notifications (so readiness fails).
 */
export function testUpstreamEnv(addresses: Record<"identity" | "catalog" | "orders", string>): Record<string, string> {
  return {
    IDENTITY_ADDR: addresses.identity,
    CATALOG_ADDR: addresses.catalog,
    ORDERS_ADDR: addresses.orders,
    INVENTORY_ADDR: "127.0.0.1:1",
    NOTIFICATIONS_ADDR: "127.0.0.1:1",
  };
}
