// The public faces of the platform, each driven the way an outside client would: REST/JSON with
// fetch, and the Connect and gRPC protocols with clients generated from proto/ (protobuf-es +
// connect-es). The flows in e2e.test.ts run the same steps through each.
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { CatalogService } from "@weft/gen/shop/catalog/v1/catalog_pb.js";
import { IdentityService } from "@weft/gen/shop/identity/v1/identity_pb.js";
import { InventoryService } from "@weft/gen/shop/inventory/v1/inventory_pb.js";
import { NotificationService } from "@weft/gen/shop/notifications/v1/notifications_pb.js";
import { OrderService, OrderStatus } from "@weft/gen/shop/orders/v1/orders_pb.js";

export interface OrderView {
  id: string;
  /** Short status name: PENDING, CONFIRMED, REJECTED, CANCELLED. */
  status: string;
  statusReason: string;
}

export interface ProductView {
  id: string;
  name: string;
}

/** What a face answers when the platform refuses: the HTTP-ish outcome, for assertions. */
export class Refused extends Error {
  constructor(
    readonly kind: "not_found" | "unauthenticated" | "invalid" | "other",
    detail: string,
  ) {
    super(`${kind}: ${detail}`);
  }
}

export interface Face {
  readonly name: string;
  signUp(email: string, password: string): Promise<void>;
  login(email: string, password: string): Promise<string>;
  listProducts(): Promise<ProductView[]>;
  placeOrder(
    token: string,
    items: Array<{ productId: string; quantity: number }>,
    paymentMethod: string,
    key: string,
  ): Promise<OrderView>;
  getOrder(token: string, id: string): Promise<OrderView>;
  cancelOrder(token: string, id: string): Promise<OrderView>;
  available(token: string, productId: string): Promise<number>;
  notifiedOrders(token: string): Promise<string[]>;
}

const shortStatus = (name: string) => name.replace(/^ORDER_STATUS_/, "");

export function restFace(baseUrl: string): Face {
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, never>;
    if (response.status === 404) throw new Refused("not_found", JSON.stringify(json));
    if (response.status === 401) throw new Refused("unauthenticated", JSON.stringify(json));
    if (response.status === 400) throw new Refused("invalid", JSON.stringify(json));
    if (!response.ok) throw new Refused("other", `${response.status} ${JSON.stringify(json)}`);
    return json as Record<string, unknown>;
  };
  const order = (json: Record<string, unknown>): OrderView => {
    const o = json.order as { id: string; status: string; statusReason?: string };
    return { id: o.id, status: shortStatus(o.status), statusReason: o.statusReason ?? "" };
  };
  return {
    name: "REST",
    async signUp(email, password) {
      await call("POST", "/v1/auth/signup", undefined, { email, password, displayName: email.split("@")[0] });
    },
    async login(email, password) {
      return (await call("POST", "/v1/auth/login", undefined, { email, password })).accessToken as string;
    },
    async listProducts() {
      return ((await call("GET", "/v1/products?pageSize=50")).products as ProductView[]).map(({ id, name }) => ({
        id,
        name,
      }));
    },
    async placeOrder(token, items, paymentMethod, idempotencyKey) {
      return order(await call("POST", "/v1/orders", token, { items, paymentMethod, idempotencyKey }));
    },
    async getOrder(token, id) {
      return order(await call("GET", `/v1/orders/${encodeURIComponent(id)}`, token));
    },
    async cancelOrder(token, id) {
      return order(
        await call("POST", `/v1/orders/${encodeURIComponent(id)}:cancel`, token, { reason: "changed my mind" }),
      );
    },
    async available(token, productId) {
      const stock = (await call("GET", `/v1/inventory/${encodeURIComponent(productId)}`, token)).stock as {
        available: string;
      };
      return Number(stock.available);
    },
    async notifiedOrders(token) {
      const list = (await call("GET", "/v1/notifications", token)).notifications as Array<{ orderId: string }>;
      return list.map((n) => n.orderId);
    },
  };
}

/** Connect or gRPC, through the gateway, with clients generated from the protos. */
export function rpcFace(name: string, transport: Transport): Face {
  const identity = createClient(IdentityService, transport);
  const catalog = createClient(CatalogService, transport);
  const inventory = createClient(InventoryService, transport);
  const orders = createClient(OrderService, transport);
  const notifications = createClient(NotificationService, transport);
  const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  const refusals = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      const e = ConnectError.from(error);
      if (e.code === Code.NotFound) throw new Refused("not_found", e.message);
      if (e.code === Code.Unauthenticated) throw new Refused("unauthenticated", e.message);
      if (e.code === Code.InvalidArgument) throw new Refused("invalid", e.message);
      throw new Refused("other", e.message);
    }
  };
  const order = (o: { id: string; status: OrderStatus; statusReason: string } | undefined): OrderView => ({
    id: o?.id ?? "",
    status: OrderStatus[o?.status ?? OrderStatus.UNSPECIFIED] ?? "UNSPECIFIED",
    statusReason: o?.statusReason ?? "",
  });
  return {
    name,
    signUp: (email, password) =>
      refusals(async () => void (await identity.signUp({ email, password, displayName: email.split("@")[0] }))),
    login: (email, password) => refusals(async () => (await identity.login({ email, password })).accessToken),
    listProducts: () =>
      refusals(async () =>
        (await catalog.listProducts({ pageSize: 50 })).products.map(({ id, name }) => ({ id, name })),
      ),
    placeOrder: (token, items, paymentMethod, idempotencyKey) =>
      refusals(async () =>
        order((await orders.placeOrder({ items, paymentMethod, idempotencyKey }, auth(token))).order),
      ),
    getOrder: (token, id) => refusals(async () => order((await orders.getOrder({ id }, auth(token))).order)),
    cancelOrder: (token, id) =>
      refusals(async () => order((await orders.cancelOrder({ id, reason: "changed my mind" }, auth(token))).order)),
    available: (token, productId) =>
      refusals(async () => Number((await inventory.getStock({ productId }, auth(token))).stock?.available ?? 0)),
    notifiedOrders: (token) =>
      refusals(async () =>
        (await notifications.listNotifications({}, auth(token))).notifications.map((n) => n.orderId),
      ),
  };
}
