import { randomUUID } from "node:crypto";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { type ThingNamed, ThingNamedSchema } from "@weft/gen/weft/echo/v1/events_pb.js";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type OpenedDatabase, openDatabase, type TestDatabase } from "../../src/data/index.ts";
import {
  connectEventBus,
  type EventBus,
  envelopeHeaders,
  OutboxRelay,
  type RunningConsumer,
  recordEvent,
  startConsumer,
} from "../../src/events/index.ts";
import { createLogger } from "../../src/telemetry/index.ts";
import * as schema from "./schema.ts";

const run = randomUUID().slice(0, 8);
const logger = createLogger({ service: "events-test", level: "silent" });
let database: TestDatabase;
let opened: OpenedDatabase<typeof schema>;
let bus: EventBus;
let relay: OutboxRelay<typeof schema>;
let consumer: RunningConsumer;
/** Things whose events the handler refuses, to see them parked in dead letters. */
const poisoned = new Set<string>();

beforeAll(async () => {
  database = await createTestDatabase("events");
  opened = await openDatabase({
    url: database.url,
    schema,
    migrationsFolder: new URL("./drizzle", import.meta.url).pathname,
  });
  bus = await connectEventBus({ servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222", name: "events-test" });
  relay = new OutboxRelay({ db: opened.db, js: bus.js, jsm: bus.jsm, source: "weft/events-test", logger, pollMs: 50 });
  relay.start();
  consumer = await startConsumer({
    bus,
    db: opened.db,
    name: `events-test-${run}`,
    events: [ThingNamedSchema],
    logger,
    maxDeliveries: 2,
    backoffMs: [50],
    async handle(tx, event) {
      const named = event.message as ThingNamed;
      if (!named.thingId.startsWith(run)) return; // events of earlier runs on the shared stream
      if (poisoned.has(named.thingId)) throw new Error(`cannot handle ${named.thingId}`);
      await schema.sight(tx, named.thingId);
    },
  });
}, 60_000);

afterAll(async () => {
  await consumer?.stop();
  await relay?.stop();
  await bus?.jsm.consumers.delete("WEFT_ECHO_V1", `events-test-${run}`).catch(() => {});
  await bus?.close();
  await opened?.close();
  await database?.drop();
});

async function nameThing(thingId: string, name: string, commit = true) {
  await opened.db
    .transaction(async (tx) => {
      await tx.insert(schema.things).values({ id: thingId, name });
      await recordEvent(tx, { schema: ThingNamedSchema, message: { thingId, name }, subject: thingId });
      if (!commit) tx.rollback();
    })
    .catch((error: unknown) => {
      if (commit) throw error;
    });
  relay.nudge();
}

const sightingsOf = (thingId: string) => schema.sightingsOf(opened.db, thingId);

describe("outbox → JetStream → consumer", () => {
  it("publishes a committed event and applies it once", async () => {
    const thing = `${run}-committed`;
    await nameThing(thing, "lamp");
    await expect.poll(() => sightingsOf(thing), { timeout: 10_000 }).toBe(1);
    // Published on commit: marked with the others of its second.
    await expect
      .poll(
        async () => {
          const [row] = await opened.db.select().from(schema.outbox).where(eq(schema.outbox.subject, thing));
          return row?.publishedAt;
        },
        { timeout: 5_000 },
      )
      .toBeInstanceOf(Date);
  });

  it("never publishes the event of a rolled-back transaction", async () => {
    const thing = `${run}-rolled-back`;
    await nameThing(thing, "ghost", false);
    const rows = await opened.db.select().from(schema.outbox).where(eq(schema.outbox.subject, thing));
    expect(rows).toHaveLength(0);
  });

  it("applies a redelivered event (same event id, new message) only once", async () => {
    const thing = `${run}-twice`;
    await nameThing(thing, "chair");
    await expect.poll(() => sightingsOf(thing), { timeout: 10_000 }).toBe(1);
    // What a relay that crashed after publishing, and republished after the duplicate window, sends.
    const [row] = await opened.db.select().from(schema.outbox).where(eq(schema.outbox.subject, thing));
    const headers = natsHeaders();
    headers.set(envelopeHeaders.id, row!.id);
    headers.set(envelopeHeaders.type, row!.type);
    headers.set(envelopeHeaders.source, "weft/events-test");
    headers.set(envelopeHeaders.subject, thing);
    headers.set(envelopeHeaders.time, row!.createdAt.toISOString());
    await bus.js.publish(row!.type, row!.payload, { headers, msgID: `${row!.id}-again` });
    const marker = `${run}-after-duplicate`;
    await nameThing(marker, "marker");
    await expect.poll(() => sightingsOf(marker), { timeout: 10_000 }).toBe(1);
    expect(await sightingsOf(thing)).toBe(1);
  });

  it("parks a poison event in DEAD_LETTERS after bounded tries, and goes on with the rest", async () => {
    const poison = `${run}-poison`;
    poisoned.add(poison);
    await nameThing(poison, "bomb");
    const healthy = `${run}-healthy`;
    await nameThing(healthy, "table");
    await expect.poll(() => sightingsOf(healthy), { timeout: 10_000 }).toBe(1);
    await expect
      .poll(
        async () =>
          (
            await bus.jsm.streams
              .getMessage("DEAD_LETTERS", { last_by_subj: `dlq.events-test-${run}.weft.echo.v1.ThingNamed` })
              .catch(() => undefined)
          )?.header.get("weft-dead-letter-reason"),
        { timeout: 10_000 },
      )
      .toBe(`cannot handle ${poison}`);
    expect(await sightingsOf(poison)).toBeUndefined();
  });
});
