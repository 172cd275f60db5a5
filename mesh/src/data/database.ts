import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { installCommitHooks } from "./commit-hooks.ts";

/**
 * The mesh's own tables (outbox, inbox) and the table that records which of their migrations ran,
 * apart from the service's `drizzle.__drizzle_migrations`: one place changes them for every service.
 */
const meshMigrations = {
  migrationsFolder: fileURLToPath(new URL("../../drizzle", import.meta.url)),
  migrationsSchema: "drizzle",
  migrationsTable: "__weft_mesh_migrations",
};

/** A service's database (drizzle over postgres.js). */
export type Database<Schema extends Record<string, unknown>> = PgDatabase<PgQueryResultHKT, Schema>;

/** The handle a `db.transaction(...)` callback receives. */
export type Transaction<Schema extends Record<string, unknown>> = Parameters<
  Parameters<Database<Schema>["transaction"]>[0]
>[0];

/** Either the database or a transaction on it: what query helpers should accept. */
export type Queryable<Schema extends Record<string, unknown>> = Database<Schema> | Transaction<Schema>;

export interface OpenDatabaseOptions<Schema extends Record<string, unknown>> {
  /**
   * A postgres:// URL (`DATABASE_URL`), with the service's own role. `weft dev` provides one (its
   * embedded PostgreSQL, or PG_URL); a deployment sets it from a Secret.
   */
  url: string | undefined;
  schema: Schema;
  /**
   * The service's committed drizzle-kit migrations, applied (then the mesh's own) before anything
   * else runs.
   */
  migrationsFolder: string;
  /** Connections in the pool (PostgreSQL only). */
  poolSize?: number;
}

export interface OpenedDatabase<Schema extends Record<string, unknown>> {
  readonly db: Database<Schema>;
  close(): Promise<void>;
}

/**
 * Opens a service's database and brings its schema up to date: the service's tables, then the
 * mesh's (after, so a database whose own migrations created outbox/inbox, as before the mesh
 * owned them, is left as it is). It is a pool of postgres.js connections to a real PostgreSQL,
 * locally as in production, so row locks, SKIP LOCKED leases and concurrent conditional updates
 * behave the same everywhere.
 */
export async function openDatabase<Schema extends Record<string, unknown>>(
  options: OpenDatabaseOptions<Schema>,
): Promise<OpenedDatabase<Schema>> {
  if (!options.url) {
    throw new Error(
      "DATABASE_URL is not set: this service has a database (database: true in its weft.yaml). `weft dev` (make up) provides one; elsewhere set DATABASE_URL to a postgres:// URL",
    );
  }
  await migrateExclusively(options.url, options.migrationsFolder);
  const sql = postgres(options.url, { max: options.poolSize ?? 10, onnotice: () => {} });
  // Commit hooks let the outbox's events be published straight after their transaction commits.
  const db = installCommitHooks(drizzlePostgres(sql, { schema: options.schema }));
  return { db, close: () => sql.end({ timeout: 5 }) };
}

/**
 * Several replicas may start at once against one database: an advisory lock held on the one
 * connection that runs the migration makes the others wait, then find nothing left to do.
 */
async function migrateExclusively(url: string, migrationsFolder: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(hashtext('weft:migrations'))`;
    const db = drizzlePostgres(sql);
    for (const config of [{ migrationsFolder }, meshMigrations]) {
      await migratePostgres(db, config).catch((error: unknown) => {
        throw migrationFailure(error, config.migrationsFolder);
      });
    }
  } finally {
    // Closing the session releases the lock, also when the migration failed.
    await sql.end({ timeout: 5 });
  }
}

/** A migration PostgreSQL refused, said in one line: which file, what the server said, what to do. */
export class MigrationError extends Error {
  override readonly name = "MigrationError";
}

function migrationFailure(error: unknown, folder: string): MigrationError {
  // drizzle wraps the server's error with the failing statement (DrizzleQueryError).
  const query = error instanceof Error && "query" in error && typeof error.query === "string" ? error.query : "";
  const server = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const said = server instanceof Error ? server.message : String(server);
  const code =
    server instanceof Error && "code" in server && typeof server.code === "string" ? ` (SQLSTATE ${server.code})` : "";
  const file = fileHolding(folder, query);
  return new MigrationError(
    `migration ${file ?? `in ${folder}`} failed: ${said}${code} — fix it and start again; none of the pending migrations was applied (they run in one transaction)`,
    { cause: error },
  );
}

/** The migration file that holds `statement`, when one does. */
function fileHolding(folder: string, statement: string): string | undefined {
  const probe = statement.trim().slice(0, 200);
  if (probe === "") return undefined;
  try {
    const name = readdirSync(folder)
      .filter((file) => file.endsWith(".sql"))
      .find((file) => readFileSync(join(folder, file), "utf8").includes(probe));
    return name === undefined ? undefined : join(folder, name);
  } catch {
    return undefined;
  }
}

/** Creates the database named in `url` on its server if it does not exist yet (for `make up` with PG_URL). */
export async function ensureDatabaseExists(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name))
    throw new Error(`database name ${JSON.stringify(name)} must be letters, digits and _`);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  try {
    const existing = await sql`select 1 from pg_database where datname = ${name}`;
    if (existing.length === 0) {
      await sql.unsafe(`create database "${name}"`).catch((error: { code?: string }) => {
        // Another process created it between our check and now.
        if (error.code !== "42P04") throw error;
      });
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}
