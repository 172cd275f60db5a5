// Each service with `database: true` gets a database of its own: on the PostgreSQL server at
// PG_URL (created when missing), or — without one — an embedded PGlite database the mesh keeps
// under <data dir>/<service>/db.

import type { ServiceManifest } from "@weft/mesh/app";
import { ensureDatabaseExists } from "@weft/mesh/data";

/** `<prefix>_<service>`, dashes as underscores: a valid unquoted PostgreSQL name. */
export function databaseName(prefix: string, service: string): string {
  return `${prefix}_${service}`.replaceAll("-", "_");
}

/** DATABASE_URL per service on `pgUrl`, each database created if missing; empty without a server. */
export async function provideDatabases(
  services: readonly ServiceManifest[],
  pgUrl: string | undefined,
  prefix: string,
): Promise<Map<string, string>> {
  const urls = new Map<string, string>();
  if (pgUrl === undefined) return urls;
  for (const service of services.filter((s) => s.database)) {
    const url = new URL(pgUrl);
    url.pathname = `/${databaseName(prefix, service.name)}`;
    await ensureDatabaseExists(url.toString());
    urls.set(service.name, url.toString());
  }
  return urls;
}
