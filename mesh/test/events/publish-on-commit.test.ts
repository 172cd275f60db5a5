// Publishing on commit: an event recorded in a transaction of a database `openDatabase` opened is
// published by this process's relay as soon as the transaction commits — no relay round, no
// notification — and only if it (and the savepoint that recorded it) committed. Its row is left to
// the relays until the hand-over time, then taken by a round like any other.
import { randomUUID } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { type ThingNamed, ThingNamedSchema } from "@weft/gen/weft/echo/v1/events_pb.js";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type OpenedDatabase, openDatabase, type TestDatabase } from "../../src/data/index.ts";
import {
  connectEventBus,
  type EventBus,
  OutboxRelay,
  type RunningConsumer,
  recordEvent,
  startConsumer,
} from "../../src/events/index.ts";
import { createLogger } from "../../src/telemetry/index.ts";
import * as schema from "./schema.ts";

const run = randomUUID().slice(0, 8);
const logger = createLogger({ service: "publish-on-commit-test", level: "silent" });
const anHour = 3_600_000;
let database: TestDatabase;
let opened: OpenedDatabase<typeof schema>;
/** A second handle on the same database, whose relay leaves every event to rounds. */
let roundsOnly: OpenedDatabase<typeof schema>;
let bus: EventBus;
/** Neither listening for commits nor polling (an hour): whatever it publishes, it publishes on commit. */
let relay: OutboxRelay<typeof schema>;
let roundsRelay: OutboxRelay<typeof schema>;
let consumer: RunningConsumer;
/** The CloudEvents time each thing's event arrived with. */
const seenTimes = new Map<string, string>();

beforeAll(async () => {
  database = await createTestDatabase("publish_on_commit");
  const open = () =>
    openDatabase({ url: database.url, schema, migrationsFolder: new URL("./drizzle", import.meta.url).pathname });
  opened = await open();
  roundsOnly = await open();
  bus = await connectEventBus({ servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222", name: "publish-on-commit" });
  const common = { js: bus.js, jsm: bus.jsm, source: "weft/publish-on-commit-test", logger, pollMs: anHour };
  relay = new OutboxRelay({ ...common, db: opened.db });
  roundsRelay = new OutboxRelay({ ...common, db: roundsOnly.db, publishOnCommit: false });
  relay.start();
  roundsRelay.start();
  consumer = await startConsumer({
    bus,
    db: opened.db,
    name: `publish-on-commit-${run}`,
    events: [ThingNamedSchema],
    logger,
    async handle(tx, event) {
      const named = event.message as ThingNamed;
      if (!named.thingId.startsWith(run)) return;
      seenTimes.set(named.thingId, event.time.toISOString());
      await schema.sight(tx, named.thingId);
    },
  });
}, 60_000);

afterAll(async () => {
  await consumer?.stop();
  await relay?.stop();
  await roundsRelay?.stop();
  await bus?.jsm.consumers.delete("WEFT_ECHO_V1", `publish-on-commit-${run}`).catch(() => {});
  await bus?.close();
  await opened?.close();
  await roundsOnly?.close();
  await database?.drop();
});

function event(thingId: string) {
  return { schema: ThingNamedSchema, message: { thingId, name: "x" }, subject: thingId };
}

const sightingsOf = (thingId: string) => schema.sightingsOf(opened.db, thingId);

async function rowOf(thingId: string) {
  const [row] = await opened.db.select().from(schema.outbox).where(eq(schema.outbox.subject, thingId));
  return row;
}

describe("publishing on commit", () => {
  it("publishes a committed event with no relay round, then marks it published", async () => {
    const thing = `${run}-on-commit`;
    await opened.db.transaction((tx) => recordEvent(tx, event(thing)));
    await expect.poll(() => sightingsOf(thing), { timeout: 10_000 }).toBe(1);
    const row = await rowOf(thing);
    expect(row?.relayAfter).toBeInstanceOf(Date);
    // What consumers were told (ce-time) is the row's own time, as a republish would tell it.
    expect(seenTimes.get(thing)).toBe(row?.createdAt.toISOString());
    // Marked with the others of its second.
    await expect.poll(async () => (await rowOf(thing))?.publishedAt, { timeout: 5_000 }).toBeInstanceOf(Date);
  });

  it("publishes nothing of a savepoint rolled back inside a transaction that committed", async () => {
    const kept = `${run}-kept`;
    const undone = `${run}-undone`;
    await opened.db.transaction(async (tx) => {
      await recordEvent(tx, event(kept));
      await tx
        .transaction(async (savepoint) => {
          await recordEvent(savepoint, event(undone));
          savepoint.rollback();
        })
        .catch(() => {});
    });
    await expect.poll(() => sightingsOf(kept), { timeout: 10_000 }).toBe(1);
    // An event published after both shows the consumer has seen everything before it.
    const marker = `${run}-after-savepoint`;
    await opened.db.transaction((tx) => recordEvent(tx, event(marker)));
    await expect.poll(() => sightingsOf(marker), { timeout: 10_000 }).toBe(1);
    expect(await sightingsOf(undone)).toBeUndefined();
    expect(await rowOf(undone)).toBeUndefined();
  });

  it("leaves events to rounds where the relay does not publish on commit", async () => {
    const thing = `${run}-by-round`;
    await roundsOnly.db.transaction((tx) => recordEvent(tx, event(thing)));
    expect((await rowOf(thing))?.relayAfter).toBeNull();
    // Nothing publishes it until a round runs: no notification reaches a relay that does not listen.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await sightingsOf(thing)).toBeUndefined();
    roundsRelay.nudge();
    await expect.poll(() => sightingsOf(thing), { timeout: 10_000 }).toBe(1);
    expect((await rowOf(thing))?.publishedAt).toBeInstanceOf(Date);
  });

  it("leaves a row to its writer until the hand-over time, then a round takes it", async () => {
    const thing = `${run}-handed-over`;
    // What a process that committed and died before publishing leaves behind.
    const id = randomUUID();
    await opened.db.insert(schema.outbox).values({
      id,
      type: ThingNamedSchema.typeName,
      subject: thing,
      payload: toBinary(ThingNamedSchema, create(ThingNamedSchema, { thingId: thing, name: "x" })),
      traceHeaders: {},
      relayAfter: sql`now() + interval '1 hour'`,
    });
    expect(await roundsRelay.publishBatch()).toBe(0);
    await opened.db
      .update(schema.outbox)
      .set({ relayAfter: sql`now() - interval '1 second'` })
      .where(eq(schema.outbox.id, id));
    expect(await roundsRelay.publishBatch()).toBe(1);
    await expect.poll(() => sightingsOf(thing), { timeout: 10_000 }).toBe(1);
  });

  it("after a restart, takes what the run before left once it is handed over, with nobody telling it", async () => {
    const thing = `${run}-left-by-a-crash`;
    await opened.db.insert(schema.outbox).values({
      id: randomUUID(),
      type: ThingNamedSchema.typeName,
      subject: thing,
      payload: toBinary(ThingNamedSchema, create(ThingNamedSchema, { thingId: thing, name: "x" })),
      traceHeaders: {},
      relayAfter: sql`now() + interval '200 milliseconds'`,
    });
    const restarted = new OutboxRelay({
      db: roundsOnly.db,
      js: bus.js,
      jsm: bus.jsm,
      source: "weft/publish-on-commit-test",
      logger,
      pollMs: anHour,
      handOverMs: 200,
      publishOnCommit: false,
    });
    restarted.start();
    try {
      await expect.poll(() => sightingsOf(thing), { timeout: 10_000 }).toBe(1);
    } finally {
      await restarted.stop();
    }
  });

  it("marks what it published on commit before it stops", async () => {
    const thing = `${run}-before-stop`;
    await opened.db.transaction((tx) => recordEvent(tx, event(thing)));
    await relay.stop();
    expect((await rowOf(thing))?.publishedAt).toBeInstanceOf(Date);
    await expect.poll(() => sightingsOf(thing), { timeout: 10_000 }).toBe(1);
    // A stopped relay publishes nothing on commit: the event is left to the relays at once.
    const after = `${run}-after-stop`;
    await opened.db.transaction((tx) => recordEvent(tx, event(after)));
    expect((await rowOf(after))?.relayAfter).toBeNull();
  });
});
