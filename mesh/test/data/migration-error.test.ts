// A migration PostgreSQL refuses is one line that names the file and what the server said, and
// leaves the database as it was.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, MigrationError, openDatabase, type TestDatabase } from "../../src/data/index.ts";

const folder = mkdtempSync(join(tmpdir(), "weft-bad-migration-"));
mkdirSync(join(folder, "meta"));
writeFileSync(
  join(folder, "meta", "_journal.json"),
  JSON.stringify({
    version: "7",
    dialect: "postgresql",
    entries: [{ idx: 0, version: "7", when: 1_700_000_000_000, tag: "0000_twice", breakpoints: true }],
  }),
);
writeFileSync(
  join(folder, "0000_twice.sql"),
  'CREATE TABLE "things" ("id" integer);\n--> statement-breakpoint\nCREATE TABLE "things" ("id" integer);\n',
);

let database: TestDatabase | undefined;
afterAll(async () => {
  await database?.drop();
  rmSync(folder, { recursive: true, force: true });
});

describe("a migration that fails", () => {
  it("names its file and the server's refusal in one line, and applies nothing", async () => {
    database = await createTestDatabase("bad_migration");
    const opening = openDatabase({ url: database.url, schema: {}, migrationsFolder: folder });
    await expect(opening).rejects.toBeInstanceOf(MigrationError);
    await expect(opening).rejects.toThrow(
      new RegExp(
        `^migration ${join(folder, "0000_twice.sql")} failed: relation "things" already exists \\(SQLSTATE 42P07\\) — fix it`,
      ),
    );
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    const [row] = await sql<{ exists: boolean }[]>`select to_regclass('public.things') is not null as exists`;
    await sql.end();
    expect(row?.exists).toBe(false);
  });
});
