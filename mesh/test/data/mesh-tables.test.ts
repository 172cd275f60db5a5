// The mesh migrates its own tables (outbox, inbox) into every service's database, whether the
// service's migrations know of them (databases made before the mesh owned them) or not.
import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, openDatabase, type TestDatabase } from "../../src/data/index.ts";
import { inbox, outbox } from "../../src/events/index.ts";

const serviceOnly = new URL("./fixtures/service-only", import.meta.url).pathname;
/** The layout before: the service's own first migration created outbox and inbox. */
const legacy = new URL("../events/drizzle", import.meta.url).pathname;

/** How many migrations the mesh has: each runs once per database. */
const meshMigrations = (
  JSON.parse(readFileSync(new URL("../../drizzle/meta/_journal.json", import.meta.url), "utf8")) as {
    entries: unknown[];
  }
).entries.length;

const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.map((d) => d.drop()));
});

async function fresh(): Promise<string> {
  const database = await createTestDatabase("mesh_tables");
  databases.push(database);
  return database.url;
}

/** postgres.js hands back the rows themselves (Database's execute is typed for any driver). */
function rowsOf<Row>(result: unknown): Row[] {
  return result as Row[];
}

async function tablesAndMigrations(url: string, migrationsFolder: string) {
  const opened = await openDatabase({ url, schema: {}, migrationsFolder });
  try {
    const tables = await opened.db.execute<{ name: string }>(
      sql`select table_name as name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    const meshRuns = await opened.db.execute<{ n: number }>(
      sql`select count(*)::int as n from drizzle.__weft_mesh_migrations`,
    );
    const serviceRuns = await opened.db.execute<{ n: number }>(
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    // The tables are usable as the relay and consumers use them.
    await opened.db.insert(outbox).values({
      id: crypto.randomUUID(),
      type: "t.v1.E",
      subject: "s",
      payload: new Uint8Array([1]),
      traceHeaders: {},
    });
    await opened.db.insert(inbox).values({ consumer: "c", eventId: crypto.randomUUID() });
    return {
      tables: rowsOf<{ name: string }>(tables).map((r) => r.name),
      meshRuns: rowsOf<{ n: number }>(meshRuns)[0]?.n,
      serviceRuns: rowsOf<{ n: number }>(serviceRuns)[0]?.n,
    };
  } finally {
    await opened.close();
  }
}

describe("the mesh's own migrations", () => {
  it("create outbox and inbox in a database whose service migrations do not mention them", async () => {
    const url = await fresh();
    expect(await tablesAndMigrations(url, serviceOnly)).toEqual({
      tables: ["inbox", "outbox", "widgets"],
      meshRuns: meshMigrations,
      serviceRuns: 1,
    });
    // Opening again (a restart, another replica) runs nothing twice.
    expect((await tablesAndMigrations(url, serviceOnly)).meshRuns).toBe(meshMigrations);
  });

  it("leave a database made before the mesh owned them as it is", async () => {
    const url = await fresh();
    const result = await tablesAndMigrations(url, legacy);
    expect(result.tables).toEqual(["inbox", "outbox", "sightings", "things"]);
    expect(result.meshRuns).toBe(meshMigrations);
  });

  it("refuse to open without a URL, naming DATABASE_URL", async () => {
    await expect(openDatabase({ url: undefined, schema: {}, migrationsFolder: serviceOnly })).rejects.toThrow(
      /DATABASE_URL is not set/,
    );
  });
});
