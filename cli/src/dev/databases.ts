// Database per service, enforced by credentials: each service with `database: true` gets a
// database and a login role of its own, the database refuses CONNECT to everyone else, and the
// service is handed a URL with only its own role's password. On the PostgreSQL server at PG_URL
// (whose user must be allowed to create roles and databases), or — without one — on one embedded
// PostgreSQL server the launcher starts under <data dir>/postgres.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ServiceManifest } from "@weft/mesh/app";
import postgres from "postgres";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded-postgres.ts";
import { freePort } from "./network.ts";
import type { LineSink } from "./processes.ts";

/** `<prefix>_<service>`, dashes as underscores: a valid unquoted PostgreSQL name (database and role). */
export function databaseName(prefix: string, service: string): string {
  return `${prefix}_${service}`.replaceAll("-", "_");
}

export interface DatabasePlan {
  services: readonly ServiceManifest[];
  /** A server the user brings; unset: the embedded one. */
  pgUrl: string | undefined;
  prefix: string;
  /** The launcher's data folder (embedded cluster, generated role passwords). */
  dataDir: string;
  /** Port of the embedded server (WEFT_PG_PORT); unset: a free one. */
  embeddedPort?: number;
  logs: LineSink;
}

export interface ProvidedDatabases {
  /** DATABASE_URL of each service that has a database. */
  readonly urls: ReadonlyMap<string, string>;
  /** The embedded server, when the launcher started one. */
  readonly embedded: EmbeddedPostgres | undefined;
  stop(): Promise<void>;
}

export async function provideDatabases(plan: DatabasePlan): Promise<ProvidedDatabases> {
  const requests = plan.services
    .filter((service) => service.database)
    .map((service) => ({ service: service.name, name: databaseName(plan.prefix, service.name) }));
  if (requests.length === 0) return { urls: new Map(), embedded: undefined, stop: async () => {} };
  const embedded = plan.pgUrl
    ? undefined
    : await startEmbeddedPostgres(
        { dir: join(plan.dataDir, "postgres"), port: plan.embeddedPort ?? (await freePort()) },
        plan.logs,
      );
  try {
    const adminUrl = plan.pgUrl ?? embedded!.adminUrl;
    const store = { file: join(plan.dataDir, plan.pgUrl ? "pg-url-roles.json" : "postgres/roles.json") };
    const urls = await provisionServiceDatabases(adminUrl, requests, store);
    return { urls, embedded, stop: async () => embedded?.stop() };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

export interface ServiceDatabaseRequest {
  /** The workload, e.g. "orders". */
  service: string;
  /** Database and role name, e.g. "shop_orders" (letters, digits, _). */
  name: string;
}

/** Where the roles' generated passwords are kept between runs (0600, never committed). */
export interface PasswordStore {
  file: string;
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Creates what is missing (role with a generated password, database owned by it) and takes
 * CONNECT away from PUBLIC, so a role can open only its own database. A database made by an
 * earlier launcher (owned by the admin) is handed over to its role, objects included. Returns each
 * service's DATABASE_URL.
 */
export async function provisionServiceDatabases(
  adminUrl: string,
  requests: readonly ServiceDatabaseRequest[],
  store: PasswordStore,
): Promise<Map<string, string>> {
  const passwords = readPasswords(store);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  const urls = new Map<string, string>();
  try {
    for (const { service, name } of requests) {
      if (!identifier.test(name)) throw new Error(`database name ${JSON.stringify(name)} must be [a-z0-9_]`);
      const password = passwords[name] ?? randomBytes(24).toString("base64url");
      passwords[name] = password;
      // Validated above to [a-z0-9_], so quoting is enough; the password is base64url.
      const role = `"${name}"`;
      const [existingRole] = await admin`select 1 from pg_roles where rolname = ${name}`;
      if (existingRole) await admin.unsafe(`alter role ${role} with login password '${password}'`);
      else
        await admin
          .unsafe(`create role ${role} with login password '${password}'`)
          .catch((error: { code?: string }) => {
            if (error.code !== "42710") throw error; // created by a racing launcher
          });
      const [database] = await admin`
        select pg_get_userbyid(datdba) as owner from pg_database where datname = ${name}`;
      if (!database) {
        await admin.unsafe(`create database ${role} owner ${role}`).catch((error: { code?: string }) => {
          if (error.code !== "42P04") throw error; // created by a racing launcher
        });
      } else if (database.owner !== name) {
        await adopt(adminUrl, name);
      }
      await admin.unsafe(`revoke all on database ${role} from public`);
      await admin.unsafe(`grant connect, temporary on database ${role} to ${role}`);
      const url = new URL(adminUrl);
      url.username = name;
      url.password = password;
      url.pathname = `/${name}`;
      urls.set(service, url.toString());
    }
  } finally {
    await admin.end({ timeout: 5 });
    writePasswords(store, passwords);
  }
  return urls;
}

/** Hands a database made by the admin (an older `make up`) and everything in it to its role. */
async function adopt(adminUrl: string, name: string): Promise<void> {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`alter database "${name}" owner to "${name}"`);
    const schemas = await sql<{ nspname: string }[]>`
      select nspname from pg_namespace
      where nspname not like 'pg\\_%' and nspname <> 'information_schema'`;
    for (const { nspname } of schemas) await sql.unsafe(`alter schema "${nspname}" owner to "${name}"`);
    const objects = await sql<{ kind: string; qualified: string }[]>`
      select case c.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view'
                  else 'table' end as kind,
             format('%I.%I', n.nspname, c.relname) as qualified
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'v', 'm', 'S')
        and n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'
        -- sequences owned by a column follow their table
        and not exists (select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i'))`;
    for (const { kind, qualified } of objects) await sql.unsafe(`alter ${kind} ${qualified} owner to "${name}"`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function readPasswords(store: PasswordStore): Record<string, string> {
  if (!existsSync(store.file)) return {};
  return JSON.parse(readFileSync(store.file, "utf8")) as Record<string, string>;
}

function writePasswords(store: PasswordStore, passwords: Record<string, string>): void {
  mkdirSync(dirname(store.file), { recursive: true });
  writeFileSync(store.file, `${JSON.stringify(passwords, null, 2)}\n`, { mode: 0o600 });
}

/**
 * Drops what `provideDatabases` made on a server of one's own (PG_URL): each service's database
 * (closing its connections) and its role. For throwaway platforms (tests, benches) with a unique
 * prefix; the embedded server needs none of it, its folder goes as a whole.
 */
export async function dropServiceDatabases(
  pgUrl: string,
  prefix: string,
  services: readonly ServiceManifest[],
): Promise<void> {
  const admin = postgres(pgUrl, { max: 1, onnotice: () => {} });
  try {
    for (const service of services.filter((s) => s.database)) {
      const name = databaseName(prefix, service.name);
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.unsafe(`drop role if exists "${name}"`);
    }
  } finally {
    await admin.end();
  }
}
