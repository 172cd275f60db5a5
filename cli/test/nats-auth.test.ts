// NATS as the launcher starts it: one user per service, each allowed to publish only its own
// events. Attacked on a private nats-server (free port, own store) with the generated
// configuration — never the machine's shared NATS on 4222.
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { connectEventBus, type EventBus, ensureStream, eventStreamOf } from "@weft/mesh/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NatsOutcome, provideNats } from "../src/dev/nats.ts";
import { type NatsAuthorization, writeNatsAuthorization } from "../src/dev/nats-auth.ts";
import { freePort } from "../src/dev/network.ts";
import { stopProcesses } from "../src/dev/processes.ts";

let dir: string;
let auth: NatsAuthorization;
let nats: NatsOutcome;
const buses: EventBus[] = [];

const orders = eventStreamOf("shop.orders.v1");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "weft-nats-auth-"));
  auth = await writeNatsAuthorization(join(dir, "auth"), [
    { name: "orders", publishes: ["shop.orders.v1"] },
    { name: "notifications", publishes: ["shop.notifications.v1"] },
  ]);
  nats = await provideNats(
    { host: "127.0.0.1", port: await freePort(), storeDir: join(dir, "store"), configFile: auth.configFile },
    () => {},
  );
  expect(nats.process).toBeDefined(); // a private server, started here
});

afterAll(async () => {
  await Promise.all(buses.map((bus) => bus.close()));
  if (nats.process) await stopProcesses([nats.process], 5_000);
  await rm(dir, { recursive: true, force: true });
});

/** A service's connection, made the way startService makes it from NATS_USER / NATS_PASSWORD. */
async function busOf(name: string): Promise<EventBus> {
  const env = auth.envFor(name);
  const bus = await connectEventBus({ servers: nats.url, name, user: env.NATS_USER, password: env.NATS_PASSWORD });
  buses.push(bus);
  return bus;
}

describe("NATS with per-service credentials", () => {
  it("keeps the configuration with the passwords owner-only", async () => {
    expect((await stat(auth.configFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "auth"))).mode & 0o777).toBe(0o700);
    expect(auth.envFor("orders").NATS_USER).toBe("orders");
    expect(auth.envFor("orders").NATS_PASSWORD).not.toBe(auth.envFor("notifications").NATS_PASSWORD);
  });

  it("lets a service publish its own events", async () => {
    const bus = await busOf("orders");
    await ensureStream(bus.jsm, orders.name, orders.subjects);
    const ack = await bus.js.publish("shop.orders.v1.OrderPlaced", new Uint8Array([1]), { msgID: "order-1" });
    expect(ack.stream).toBe(orders.name);
  });

  it("refuses a publish of another service's event", async () => {
    const notifications = await busOf("notifications");
    const before = (await notifications.jsm.streams.info(orders.name)).state.messages;
    const forged = notifications.js.publish("shop.orders.v1.OrderPlaced", new Uint8Array([9]), {
      msgID: "forged-1",
      timeout: 3_000,
    });
    await expect(forged).rejects.toThrow('Permissions Violation for Publish to "shop.orders.v1.OrderPlaced"');
    expect((await notifications.jsm.streams.info(orders.name)).state.messages).toBe(before);
  });

  it("still lets a service consume another's events through a durable consumer, and acknowledge them", async () => {
    const notifications = await busOf("notifications");
    await notifications.jsm.consumers.add(orders.name, {
      durable_name: "notifications-orders",
      ack_policy: AckPolicy.Explicit,
      filter_subject: "shop.orders.v1.>",
    });
    const consumer = await notifications.js.consumers.get(orders.name, "notifications-orders");
    const message = await consumer.next({ expires: 5_000 });
    expect(message?.subject).toBe("shop.orders.v1.OrderPlaced");
    expect(await message?.ackAck()).toBe(true);
  });

  it("refuses a core subscription to event subjects (events are read through durable consumers)", async () => {
    const notifications = await busOf("notifications");
    const subscription = notifications.nc.subscribe("shop.orders.v1.>");
    const closed = await subscription.closed;
    expect(String(closed)).toContain('Permissions Violation for Subscription to "shop.orders.v1.>"');
  });

  it.each([
    ["no credentials", () => ({})],
    ["a wrong password", () => ({ user: "orders", pass: "guess" })],
    ["another service's password", () => ({ user: "orders", pass: auth.envFor("notifications").NATS_PASSWORD })],
  ])("refuses a connection with %s", async (_name, credentials) => {
    const attempt = connect({ servers: nats.url, reconnect: false, ...credentials() });
    await expect(attempt).rejects.toThrow(/Authorization Violation/);
  });
});
