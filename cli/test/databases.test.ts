// Database per service, enforced: a service's own credentials open its own database and nothing
// else, on the embedded server `weft dev` starts and on a PG_URL server alike.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testServerUrl } from "@weft/mesh/data";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provisionServiceDatabases } from "../src/dev/databases.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../src/dev/embedded-postgres.ts";
import { freePort } from "../src/dev/network.ts";

/** Connects with a URL and runs one query; resolves to the SQLSTATE it failed with, or "ok". */
async function tryConnect(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
  try {
    await sql`select 1`;
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

function otherDatabase(url: string, database: string): string {
  const other = new URL(url);
  other.pathname = `/${database}`;
  return other.toString();
}

describe("on the embedded server", () => {
  const dir = mkdtempSync(join(tmpdir(), "weft-pg-"));
  let server: EmbeddedPostgres;
  let urls: Map<string, string>;

  beforeAll(async () => {
    server = await startEmbeddedPostgres({ dir, port: await freePort() }, () => {});
    urls = await provisionServiceDatabases(
      server.adminUrl,
      [
        { service: "orders", name: "app_orders" },
        { service: "payments", name: "app_payments" },
      ],
      { file: join(dir, "roles.json") },
    );
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("opens a service's own database with its own credentials", async () => {
    expect(await tryConnect(urls.get("orders")!)).toBe("ok");
    expect(await tryConnect(urls.get("payments")!)).toBe("ok");
  });

  it("refuses one service's credentials on another service's database", async () => {
    // 42501: insufficient_privilege (no CONNECT on the database).
    expect(await tryConnect(otherDatabase(urls.get("orders")!, "app_payments"))).toBe("42501");
    expect(await tryConnect(otherDatabase(urls.get("payments")!, "app_orders"))).toBe("42501");
  });

  it("refuses another role's name without its password", async () => {
    const forged = new URL(urls.get("orders")!);
    forged.username = "app_payments";
    forged.pathname = "/app_payments";
    // 28P01: invalid_password (scram-sha-256 everywhere, loopback included).
    expect(await tryConnect(forged.toString())).toBe("28P01");
  });

  it("keeps the generated passwords private and stable across a restart", async () => {
    expect(statSync(join(dir, "roles.json")).mode & 0o077).toBe(0);
    await server.stop();
    server = await startEmbeddedPostgres({ dir, port: server.port }, () => {});
    expect(server.created).toBe(false);
    const again = await provisionServiceDatabases(server.adminUrl, [{ service: "orders", name: "app_orders" }], {
      file: join(dir, "roles.json"),
    });
    expect(again.get("orders")).toBe(urls.get("orders"));
    expect(await tryConnect(again.get("orders")!)).toBe("ok");
  }, 60_000);
});

describe("on a PG_URL server", () => {
  const prefix = `iso_${randomBytes(3).toString("hex")}`;
  const dir = mkdtempSync(join(tmpdir(), "weft-pgurl-"));
  const names = [`${prefix}_orders`, `${prefix}_payments`];
  let urls: Map<string, string>;

  beforeAll(async () => {
    // An older launcher's database, owned by the admin, with a table in it: adopted, not lost.
    const admin = postgres(testServerUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${names[0]}"`);
    await admin.end();
    const legacy = postgres(otherDatabase(testServerUrl, names[0]!), { max: 1, onnotice: () => {} });
    await legacy`create table kept (id int primary key)`;
    await legacy`insert into kept values (1)`;
    await legacy.end();
    urls = await provisionServiceDatabases(
      testServerUrl,
      [
        { service: "orders", name: names[0]! },
        { service: "payments", name: names[1]! },
      ],
      { file: join(dir, "roles.json") },
    );
  });
  afterAll(async () => {
    const admin = postgres(testServerUrl, { max: 1, onnotice: () => {} });
    for (const name of names) {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.unsafe(`drop role if exists "${name}"`);
    }
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses one service's role on another service's database, even under trust authentication", async () => {
    expect(await tryConnect(urls.get("orders")!)).toBe("ok");
    expect(await tryConnect(otherDatabase(urls.get("orders")!, names[1]!))).toBe("42501");
    expect(await tryConnect(otherDatabase(urls.get("payments")!, names[0]!))).toBe("42501");
  });

  it("hands an existing database and its tables to the service's role", async () => {
    const sql = postgres(urls.get("orders")!, { max: 1, onnotice: () => {} });
    try {
      expect(await sql`select id from kept`).toEqual([{ id: 1 }]);
      await sql`alter table kept add column note text`; // only an owner may
    } finally {
      await sql.end();
    }
  });
});
