// OrderService handlers: authenticate the end user, validate, call the domain and the store,
// map outcomes to gRPC statuses. The saga itself runs in the background (saga/runner.ts).
import type { CatalogServiceClient } from "@weft/gen/shop/catalog/v1/catalog_weft.js";
import type { OrderServiceHandlers } from "@weft/gen/shop/orders/v1/orders_weft.js";
import {
  type CallContext,
  Code,
  type EndUser,
  errorWithReason,
  type PageTokens,
  RpcError,
  requireUser,
} from "@weft/mesh";
import type { Database } from "@weft/mesh/data";
import type { OutboxRelay } from "@weft/mesh/events";
import { v7 as uuidv7 } from "uuid";
import { orderPageTokens, pageSizeOf } from "../domain/page-token.ts";
import { initialSaga, requestCancel, type SagaPolicy } from "../domain/saga.ts";
import { orderMessage, recordOrderEvent } from "../events/order-events.ts";
import type { OrderChanges } from "../saga/order-changes.ts";
import type { SagaRunner } from "../saga/runner.ts";
import {
  findOrder,
  findOrderByIdempotencyKey,
  insertOrder,
  listOrdersOf,
  type OrderRecord,
  orderVersion,
  type Schema,
} from "../store/orders.ts";
import { insertSaga, lockSaga, saveSaga, setCancelNote } from "../store/sagas.ts";
import { type PricedOrder, priceWithCatalog } from "./catalog-prices.ts";
import { validateCancel, validateListOrders, validateOrderId, validatePlaceOrder } from "./validation.ts";

export interface OrderHandlerOptions {
  db: Database<Schema>;
  catalog: CatalogServiceClient;
  relay: Pick<OutboxRelay<Schema>, "nudge">;
  changes: OrderChanges;
  /** This replica's saga runner (one that never runs hands out no leases). */
  sagas: Pick<SagaRunner, "nudge" | "leaseForNew" | "adopt">;
  policy: Pick<SagaPolicy, "stepTimeoutMs">;
  /** How often WatchOrder re-reads the order when no local change notice arrives. */
  watchPollMs: number;
  /** How long CancelOrder waits for the cancellation to settle before answering. */
  cancelWaitMs: number;
  /** Signs ListOrders' page tokens (the mesh's, keyed by MESH_PAGE_TOKEN_KEY). */
  pageTokens: PageTokens;
}

const finalStatuses = new Set(["REJECTED", "CANCELLED"]);

export function orderHandlers(options: OrderHandlerOptions): OrderServiceHandlers {
  const { db, changes } = options;
  const pages = options.pageTokens.codec(orderPageTokens);

  /** The order if the user may see it: the owner, or an admin. Anything else is NOT_FOUND. */
  async function visibleOrder(user: EndUser, id: string): Promise<OrderRecord> {
    const order = await findOrder(db, id);
    if (order === undefined || (order.userId !== user.id && user.role !== "admin")) {
      throw new RpcError(Code.NOT_FOUND, `order ${id} not found`);
    }
    return order;
  }

  return {
    async placeOrder(request, context) {
      const user = await requireUser(context);
      validatePlaceOrder(request);
      const key = request.idempotencyKey === "" ? null : request.idempotencyKey;
      // The key is looked up by the insert itself, not by a query (and a commit) of its own before
      // pricing: a retry of a placed order is priced again for nothing, which is rarer than orders.
      let priced: PricedOrder;
      try {
        priced = await priceWithCatalog(
          options.catalog,
          request.items.map((item) => ({ productId: item.productId, quantity: item.quantity })),
        );
      } catch (error) {
        // A retry is answered with its order even when the catalog cannot price it again now.
        const existing = key === null ? undefined : await findOrderByIdempotencyKey(db, user.id, key);
        if (existing !== undefined) return { order: orderMessage(existing) };
        throw error;
      }
      const now = new Date();
      const order: OrderRecord = {
        id: uuidv7(),
        userId: user.id,
        status: "PENDING",
        statusReason: "",
        paymentId: "",
        version: 1,
        createdAt: now,
        updatedAt: now,
        ...priced,
      };
      // The local runner takes the saga straight from this transaction when it has room.
      const lease = options.sagas.leaseForNew();
      const saga = initialSaga(now, options.policy);
      let traceHeaders: Record<string, string> = {};
      let earlier: OrderRecord | undefined;
      try {
        earlier = await db.transaction(async (tx) => {
          if (!(await insertOrder(tx, { ...order, idempotencyKey: key }))) {
            // The key's order, placed before or by a call that raced this one in.
            const found = key === null ? undefined : await findOrderByIdempotencyKey(tx, user.id, key);
            if (found === undefined) throw new Error(`order with idempotency key ${key} vanished`);
            return found;
          }
          traceHeaders = await insertSaga(tx, order.id, saga, request.paymentMethod, now, lease);
          await recordOrderEvent(tx, "placed", order);
          return undefined;
        });
      } catch (error) {
        if (lease !== undefined) options.sagas.adopt(lease, undefined);
        throw error;
      }
      if (earlier !== undefined) {
        if (lease !== undefined) options.sagas.adopt(lease, undefined);
        return { order: orderMessage(earlier) };
      }
      options.relay.nudge();
      if (lease === undefined) options.sagas.nudge();
      else {
        options.sagas.adopt(lease, {
          orderId: order.id,
          state: saga,
          paymentMethod: request.paymentMethod,
          traceHeaders,
          order,
        });
      }
      return { order: orderMessage(order) };
    },

    async getOrder(request, context) {
      const user = await requireUser(context);
      validateOrderId(request.id);
      return { order: orderMessage(await visibleOrder(user, request.id)) };
    },

    async listOrders(request, context) {
      const user = await requireUser(context);
      const after = validateListOrders(request, pages);
      const size = pageSizeOf(request.pageSize);
      const rows = await listOrdersOf(db, user.id, after, size + 1);
      const page = rows.slice(0, size);
      const last = page.at(-1);
      return {
        orders: page.map(orderMessage),
        nextPageToken: rows.length > size && last !== undefined ? pages.encode(last.id) : "",
      };
    },

    async cancelOrder(request, context) {
      const user = await requireUser(context);
      validateCancel(request.id, request.reason);
      await visibleOrder(user, request.id);
      const now = new Date();
      const decision = await db.transaction(async (tx) => {
        // Saga first, then order: the same lock order as the runner, so the two never deadlock.
        const saga = await lockSaga(tx, request.id);
        const order = await findOrder(tx, request.id);
        if (saga === undefined || order === undefined)
          throw new RpcError(Code.NOT_FOUND, `order ${request.id} not found`);
        const decided = requestCancel(order.status, saga, now);
        if (decided.kind === "requested") {
          // Keep any runner's lease: its outcome is merged with the cancel when it persists.
          await saveSaga(tx, request.id, decided.saga, now, "keep");
          await setCancelNote(tx, request.id, request.reason);
        }
        return decided;
      });
      if (decision.kind === "not_cancellable") {
        throw errorWithReason(
          Code.FAILED_PRECONDITION,
          "ORDER_NOT_CANCELLABLE",
          `order ${request.id} was rejected; there is nothing to cancel`,
        );
      }
      if (decision.kind === "requested") options.sagas.nudge();
      return { order: orderMessage(await settledOrder(request.id, context)) };
    },

    async *watchOrder(request, context) {
      const user = await requireUser(context);
      validateOrderId(request.id);
      let order = await visibleOrder(user, request.id);
      yield { order: orderMessage(order) };
      while (!finalStatuses.has(order.status) && !context.signal.aborted) {
        await changes.waitFor(order.id, options.watchPollMs, context.signal);
        if (context.signal.aborted) return;
        const version = await orderVersion(db, order.id);
        if (version === undefined || version === order.version) continue;
        const changed = await findOrder(db, order.id);
        if (changed === undefined) return;
        order = changed;
        yield { order: orderMessage(order) };
      }
    },
  };

  /** Waits briefly for a cancellation to finish, so the answer usually shows CANCELLED. */
  async function settledOrder(id: string, context: CallContext): Promise<OrderRecord> {
    const budget = Math.min(
      options.cancelWaitMs,
      (context.deadline?.getTime() ?? Number.POSITIVE_INFINITY) - Date.now() - 200,
    );
    const until = Date.now() + Math.max(0, budget);
    let order = await findOrder(db, id);
    while (order !== undefined && !finalStatuses.has(order.status) && Date.now() < until && !context.signal.aborted) {
      await changes.waitFor(id, Math.min(options.watchPollMs, until - Date.now()), context.signal);
      order = await findOrder(db, id);
    }
    if (order === undefined) throw new RpcError(Code.NOT_FOUND, `order ${id} not found`);
    return order;
  }
}
