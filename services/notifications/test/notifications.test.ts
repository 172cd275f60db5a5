import { randomUUID } from "node:crypto";
import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { IdentityServiceBinding } from "@weft/gen/shop/identity/v1/identity_weft.js";
import { NotificationKind } from "@weft/gen/shop/notifications/v1/notifications_pb.js";
import {
  NotificationServiceBinding,
  type NotificationServiceClient,
} from "@weft/gen/shop/notifications/v1/notifications_weft.js";
import {
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderPlacedSchema,
  OrderRejectedSchema,
} from "@weft/gen/shop/orders/v1/events_pb.js";
import { Code, RpcError, type RunningService } from "@weft/mesh";
import { connectEventBus, type EventBus, envelopeHeaders, outbox, protobufContentType } from "@weft/mesh/events";
import { TestMesh } from "@weft/mesh/testing";
import { inArray, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// Test-only: a real identity service issues the tokens (services never import each other's code).
import { identityService } from "../../identity/src/service.ts";
import { notificationsService } from "../src/service.ts";
import * as schema from "../src/store/schema.ts";

const run = randomUUID().slice(0, 8);
const durableSuffix = `-test-${run}`;
const world = new TestMesh();
let bus: EventBus;
let notifications: RunningService<typeof schema> & { address: string };
let feed: NotificationServiceClient;
const users: Record<"ann" | "bob", { id: string; token: string }> = {
  ann: { id: "", token: "" },
  bob: { id: "", token: "" },
};

beforeAll(async () => {
  const identity = await world.start(identityService(), { env: { IDENTITY_DEV_KEY_ENCRYPTION: "true" } });
  notifications = await world.start(notificationsService({ durableSuffix }), {
    env: { IDENTITY_ADDR: identity.address },
  });
  const accounts = await world.client("gateway", IdentityServiceBinding, identity.address);
  for (const name of ["ann", "bob"] as const) {
    const email = `${name}-${run}@example.com`;
    const { user } = await accounts.signUp({ email, password: "password-123", displayName: name.toUpperCase() });
    const { accessToken } = await accounts.login({ email, password: "password-123" });
    users[name] = { id: user!.id, token: accessToken };
  }
  feed = await world.client("gateway", NotificationServiceBinding, notifications.address);
  bus = await connectEventBus({ servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222", name: "notifications-test" });
});

afterAll(async () => {
  await world.close();
  for (const [stream, durable] of [
    ["SHOP_ORDERS_V1", `notifications-orders${durableSuffix}`],
    ["SHOP_IDENTITY_V1", `notifications-identity${durableSuffix}`],
  ] as const) {
    await bus?.jsm.consumers.delete(stream, durable).catch(() => {});
  }
  await bus?.close();
});

/**
 * Publishes an orders event the way the outbox relay does (CloudEvents headers, Nats-Msg-Id);
 * `msgId` other than the event id is what a relay republishing after the duplicate window sends.
 */
async function publish<Desc extends DescMessage>(
  schemaOf: Desc,
  message: MessageInitShape<Desc>,
  subject: string,
  ids: { eventId?: string; msgId?: string } = {},
): Promise<string> {
  const eventId = ids.eventId ?? uuidv7();
  const headers = natsHeaders();
  headers.set(envelopeHeaders.id, eventId);
  headers.set(envelopeHeaders.type, schemaOf.typeName);
  headers.set(envelopeHeaders.source, "shop/orders");
  headers.set(envelopeHeaders.subject, subject);
  headers.set(envelopeHeaders.time, new Date().toISOString());
  headers.set(envelopeHeaders.specVersion, "1.0");
  headers.set(envelopeHeaders.contentType, protobufContentType);
  await bus.js.publish(schemaOf.typeName, toBinary(schemaOf, create(schemaOf, message)), {
    headers,
    msgID: ids.msgId ?? eventId,
  });
  return eventId;
}

async function storedFor(orderIds: string[]) {
  return notifications.db.select().from(schema.notifications).where(inArray(schema.notifications.orderId, orderIds));
}

const bearer = (token: string) => ({ metadata: { authorization: `Bearer ${token}` } });
const eur = (amountMinor: bigint) => ({ amountMinor, currency: "EUR" });

async function failure(call: Promise<unknown>): Promise<RpcError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RpcError)) throw new Error(`expected an RpcError, got ${String(error)}`);
  return error;
}

describe("order events → notifications", () => {
  const orderA = uuidv7(); // ann: confirmed, delivered three times
  const orderB = uuidv7(); // ann: rejected
  const orderC = uuidv7(); // bob: confirmed, then cancelled with a refund

  it("stores exactly one notification per terminal order event, however often it is delivered", async () => {
    const confirmedA = { orderId: orderA, userId: users.ann.id, total: eur(4_999n), paymentId: "pay-1" };
    const eventId = await publish(OrderConfirmedSchema, confirmedA, orderA);
    // The same event again after the duplicate window (same event id, new message id): the inbox absorbs it.
    await publish(OrderConfirmedSchema, confirmedA, orderA, { eventId, msgId: `${eventId}-again` });
    // The same fact re-emitted as a new event (new event id): the (order_id, kind) constraint absorbs it.
    await publish(OrderConfirmedSchema, confirmedA, orderA);
    await publish(
      OrderRejectedSchema,
      { orderId: orderB, userId: users.ann.id, total: eur(100n), reason: "CARD_DECLINED" },
      orderB,
    );
    await publish(OrderConfirmedSchema, { orderId: orderC, userId: users.bob.id, total: eur(2_500n) }, orderC);
    await publish(
      OrderCancelledSchema,
      { orderId: orderC, userId: users.bob.id, total: eur(2_500n), reason: "CUSTOMER_REQUEST", refunded: true },
      orderC,
    );
    const cancelledTwice = { orderId: orderC, userId: users.bob.id, total: eur(2_500n), reason: "CUSTOMER_REQUEST" };
    await publish(OrderCancelledSchema, { ...cancelledTwice, refunded: true }, orderC);
    // Events are handled in order by the one durable consumer: once the marker is stored, all of the above were handled.
    const marker = uuidv7();
    await publish(OrderPlacedSchema, { orderId: marker, userId: users.bob.id, total: eur(1n) }, marker);
    await expect.poll(async () => (await storedFor([marker])).length, { timeout: 20_000 }).toBe(1);

    const stored = await storedFor([orderA, orderB, orderC]);
    const summary = stored.map(
      (n) =>
        `${n.orderId === orderA ? "A" : n.orderId === orderB ? "B" : "C"} ${n.kind} ${n.userId === users.ann.id ? "ann" : "bob"}`,
    );
    expect(summary.sort()).toEqual([
      "A ORDER_CONFIRMED ann",
      "B ORDER_REJECTED ann",
      "C ORDER_CANCELLED bob",
      "C ORDER_CONFIRMED bob",
    ]);
    const confirmed = stored.find((n) => n.orderId === orderA)!;
    expect(confirmed.sourceEventId).toBe(eventId);
    expect(confirmed.body).toContain("€49.99");

    // NotificationCreated is announced once per stored notification, not per delivery.
    const [announced] = await notifications.db
      .select({ n: sql<number>`count(*)::int` })
      .from(outbox)
      .where(
        inArray(
          outbox.subject,
          stored.map((n) => n.id),
        ),
      );
    expect(announced!.n).toBe(4);
  });

  it("lists only the caller's own notifications, newest first", async () => {
    // The welcome notifications come from identity's UserSignedUp, through NATS, on their own
    // consumer: they may arrive before or after the order notifications.
    const kindsOf = async (who: "ann" | "bob") => {
      const { notifications: listed } = await feed.listNotifications({}, bearer(users[who].token));
      return {
        welcomed: listed.some((n) => n.kind === NotificationKind.WELCOME),
        orders: listed.filter((n) => [orderA, orderB, orderC].includes(n.orderId)).map((n) => n.kind),
      };
    };
    await expect
      .poll(() => kindsOf("ann"), { timeout: 20_000 })
      .toEqual({
        welcomed: true,
        orders: [NotificationKind.ORDER_REJECTED, NotificationKind.ORDER_CONFIRMED],
      });
    await expect
      .poll(() => kindsOf("bob"), { timeout: 20_000 })
      .toEqual({
        welcomed: true,
        orders: [NotificationKind.ORDER_CANCELLED, NotificationKind.ORDER_CONFIRMED],
      });
    const annsFeed = await feed.listNotifications({}, bearer(users.ann.token));
    expect(annsFeed.notifications.every((n) => n.userId === users.ann.id)).toBe(true);
    expect(annsFeed.notifications.find((n) => n.kind === NotificationKind.WELCOME)?.body).toBe(
      "Hi ANN, your account is ready.",
    );
    expect(annsFeed.nextPageToken).toBe("");
  });

  it("pages with opaque tokens, without gaps or repeats", async () => {
    const all = (await feed.listNotifications({}, bearer(users.bob.token))).notifications.map((n) => n.id);
    expect(all.length).toBeGreaterThanOrEqual(4); // welcome, C confirmed, C cancelled, the marker
    const paged: string[] = [];
    let pageToken = "";
    do {
      const page = await feed.listNotifications({ pageSize: 1, pageToken }, bearer(users.bob.token));
      expect(page.notifications.length).toBeLessThanOrEqual(1);
      paged.push(...page.notifications.map((n) => n.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== "" && paged.length <= all.length);
    expect(paged).toEqual(all);
  });
});

describe("bad requests", () => {
  it("refuses a call without a valid token: UNAUTHENTICATED", async () => {
    expect((await failure(feed.listNotifications({}))).code).toBe(Code.UNAUTHENTICATED);
    expect((await failure(feed.listNotifications({}, bearer("not.a.token")))).code).toBe(Code.UNAUTHENTICATED);
  });

  it("refuses a malformed page token and a negative page size with field violations", async () => {
    const error = await failure(
      feed.listNotifications({ pageSize: -1, pageToken: "bm90IGEgdG9rZW4" }, bearer(users.ann.token)),
    );
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.fieldViolations.map((v) => v.field)).toEqual(["page_size", "page_token"]);
  });
});
