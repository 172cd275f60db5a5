// The relay wakes on commit: an outbox row committed by any connection, with nobody nudging and the
// safety poll an hour away, is published through the outbox trigger's NOTIFY; and after the LISTEN
// connection is killed, the relay listens again and catches up.
import { ThingNamedSchema } from "@weft/gen/weft/echo/v1/events_pb.js";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { v7 as uuidv7 } from "uuid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type OpenedDatabase, openDatabase, type TestDatabase } from "../../src/data/index.ts";
import { connectEventBus, type EventBus, OutboxRelay, recordEvent } from "../../src/events/index.ts";
import { createLogger } from "../../src/telemetry/index.ts";
import * as schema from "./schema.ts";

const logger = createLogger({ service: "relay-wake-test", level: "silent" });
let database: TestDatabase;
let opened: OpenedDatabase<typeof schema>;
let bus: EventBus;
let relay: OutboxRelay<typeof schema>;
/** Another client of the database: what another replica or process would write through. */
let other: postgres.Sql;

beforeAll(async () => {
  database = await createTestDatabase("relay_wake");
  opened = await openDatabase({
    url: database.url,
    schema,
    migrationsFolder: new URL("./drizzle", import.meta.url).pathname,
  });
  bus = await connectEventBus({ servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222", name: "relay-wake-test" });
  relay = new OutboxRelay({
    db: opened.db,
    js: bus.js,
    jsm: bus.jsm,
    source: "weft/relay-wake-test",
    logger,
    listenUrl: database.url,
    pollMs: 3_600_000,
  });
  relay.start();
  other = postgres(database.url, { max: 1, onnotice: () => {} });
}, 60_000);

afterAll(async () => {
  await relay?.stop();
  await other?.end();
  await bus?.close();
  await opened?.close();
  await database?.drop();
});

/** The backend holding the relay's LISTEN, once it listens. */
async function listeningBackend(): Promise<number> {
  let pid: number | undefined;
  await expect
    .poll(
      async () => {
        const rows = await other<Array<{ pid: number }>>`
          select pid from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen %'`;
        pid = rows[0]?.pid;
        return pid;
      },
      { timeout: 10_000 },
    )
    .toBeDefined();
  return pid!;
}

/** Commits an event through the other client: no nudge reaches the relay. */
async function commitEventElsewhere(): Promise<string> {
  const thingId = uuidv7();
  const db = drizzle(other, { schema });
  let eventId = "";
  await db.transaction(async (tx) => {
    await tx.insert(schema.things).values({ id: thingId, name: "woken" });
    eventId = await recordEvent(tx, {
      schema: ThingNamedSchema,
      message: { thingId, name: "woken" },
      subject: thingId,
    });
  });
  return eventId;
}

async function published(eventId: string): Promise<boolean> {
  const [row] = await opened.db
    .select({ publishedAt: schema.outbox.publishedAt })
    .from(schema.outbox)
    .where(eq(schema.outbox.id, eventId));
  return row?.publishedAt != null;
}

describe("outbox relay woken by commits", () => {
  it("publishes a row another connection committed, without a nudge or a poll", async () => {
    await listeningBackend();
    const eventId = await commitEventElsewhere();
    await expect.poll(() => published(eventId), { timeout: 10_000 }).toBe(true);
  });

  it("listens again after its LISTEN connection is killed, and publishes what came meanwhile", async () => {
    const pid = await listeningBackend();
    await other`select pg_terminate_backend(${pid})`;
    const eventId = await commitEventElsewhere();
    await expect.poll(() => published(eventId), { timeout: 10_000 }).toBe(true);
    expect(await listeningBackend()).not.toBe(pid);
    // And it is woken by the new connection's notifications, too.
    const next = await commitEventElsewhere();
    await expect.poll(() => published(next), { timeout: 10_000 }).toBe(true);
  });
});
