// Commit hooks of the databases `openDatabase` opens: run once the outermost transaction has
// committed, in the order registered; never for a rollback, a failed commit, or a savepoint rolled
// back inside a transaction that committed; and refused (false) for a database without them.
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  afterCommit,
  createTestDatabase,
  databaseOf,
  type OpenedDatabase,
  openDatabase,
  type TestDatabase,
} from "../../src/data/index.ts";

let database: TestDatabase;
let opened: OpenedDatabase<Record<string, never>>;

beforeAll(async () => {
  database = await createTestDatabase("commit_hooks");
  opened = await openDatabase({
    url: database.url,
    schema: {},
    migrationsFolder: new URL("./fixtures/service-only", import.meta.url).pathname,
  });
  await opened.db.execute(sql`create table if not exists marks (id text primary key)`);
}, 60_000);

afterAll(async () => {
  await opened?.close();
  await database?.drop();
});

describe("commit hooks", () => {
  it("run after the commit, in order, when the work is visible to others", async () => {
    const ran: string[] = [];
    let seenByHook: unknown;
    const result = await opened.db.transaction(async (tx) => {
      await tx.execute(sql`insert into marks values ('committed')`);
      expect(afterCommit(tx, () => ran.push("first"))).toBe(true);
      afterCommit(tx, () => {
        ran.push("second");
        seenByHook = opened.db.execute(sql`select id from marks where id = 'committed'`);
      });
      expect(databaseOf(tx)).toBe(opened.db);
      expect(ran).toEqual([]);
      return "done";
    });
    expect(result).toBe("done");
    expect(ran).toEqual(["first", "second"]);
    expect(await seenByHook).toHaveLength(1);
  });

  it("a hook that throws is reported as a warning; the others run and the caller gets its result", async () => {
    const ran: string[] = [];
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const result = await opened.db.transaction(async (tx) => {
        afterCommit(tx, () => {
          throw new Error("hook broke");
        });
        afterCommit(tx, () => ran.push("after the broken one"));
        return "committed";
      });
      expect(result).toBe("committed");
      expect(ran).toEqual(["after the broken one"]);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => w.message)).toContain("hook broke");
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("never run for a transaction that rolled back or failed to commit", async () => {
    const ran: string[] = [];
    await expect(
      opened.db.transaction(async (tx) => {
        afterCommit(tx, () => ran.push("rolled back"));
        tx.rollback();
      }),
    ).rejects.toThrow();
    await expect(
      opened.db.transaction(async (tx) => {
        afterCommit(tx, () => ran.push("failed"));
        await tx.execute(sql`insert into marks values ('dup')`);
        await tx.execute(sql`insert into marks values ('dup')`);
      }),
    ).rejects.toThrow();
    expect(ran).toEqual([]);
  });

  it("wait for the outer commit from a savepoint, and are dropped with a rolled-back one", async () => {
    const ran: string[] = [];
    await opened.db.transaction(async (tx) => {
      await tx.transaction(async (released) => {
        afterCommit(released, () => ran.push("released"));
        await released.transaction(async (deeper) => {
          afterCommit(deeper, () => ran.push("deeper"));
        });
      });
      await tx
        .transaction(async (undone) => {
          afterCommit(undone, () => ran.push("undone"));
          undone.rollback();
        })
        .catch(() => {});
      expect(ran).toEqual([]);
    });
    expect(ran).toEqual(["released", "deeper"]);
  });

  it("are refused for a database openDatabase did not open", async () => {
    const client = postgres(database.url, { max: 1, onnotice: () => {} });
    try {
      const plain = drizzle(client);
      await plain.transaction(async (tx) => {
        expect(afterCommit(tx, () => {})).toBe(false);
        expect(databaseOf(tx)).toBeUndefined();
      });
    } finally {
      await client.end();
    }
  });
});
