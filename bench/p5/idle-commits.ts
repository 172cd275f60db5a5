// Idle commits: how many transactions a shop that nobody uses commits per second, from the
// `xact_commit` counters of `pg_stat_database`. Every statement outside an explicit transaction is
// a commit too, so a loop that polls with a plain SELECT counts as much as one that writes.
//
// The counters are read from the `postgres` database, so the measurement's own queries never add
// to the databases measured. Backends publish their counters lazily (at most once a second while
// busy, up to 10 s after they go idle), so the window should be long against that lag: both ends of
// it lag alike, and a steady background rate is what this measures.
//
// PostgreSQL's own autovacuum workers commit in those databases too (an ANALYZE of each table the
// seed filled, soon after a start): not the platform's doing, so their runs, counted per table in
// pg_stat_all_tables (one transaction each), are taken off and reported apart.
import postgres from "postgres";

export interface IdleCommitsTarget {
  /** A URL of the server with a role that may read pg_stat_database; its database part is ignored. */
  adminUrl: string;
  /** The databases to count, e.g. `weft_shop_orders`, … */
  databases: readonly string[];
}

export interface IdleCommits {
  /** Commits per second summed over every database measured. */
  commitsPerSecond: number;
  /** Commits per second of each database measured. */
  byDatabase: Record<string, number>;
  /** Autovacuum and autoanalyze runs per second in those databases, not counted above. */
  autovacuumPerSecond: number;
}

export async function measureIdleCommits(target: IdleCommitsTarget, seconds: number): Promise<IdleCommits> {
  const url = new URL(target.adminUrl);
  url.pathname = "/postgres";
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  const perDatabase = target.databases.map((name) => {
    const databaseUrl = new URL(target.adminUrl);
    databaseUrl.pathname = `/${name}`;
    return { name, sql: postgres(databaseUrl.toString(), { max: 1, onnotice: () => {} }) };
  });
  try {
    const read = async () => {
      const rows = await sql<Array<{ datname: string; commits: string }>>`
        select datname, xact_commit::text as commits from pg_stat_database where datname = any(${[...target.databases]})`;
      const commits = new Map(rows.map((row) => [row.datname, Number(row.commits)]));
      // These reads are commits of the databases measured, the same number at both ends: they cancel.
      const autovacuum = new Map<string, number>();
      for (const database of perDatabase) {
        const [row] = await database.sql<Array<{ runs: string }>>`
          select coalesce(sum(autovacuum_count + autoanalyze_count), 0)::text as runs from pg_stat_all_tables`;
        autovacuum.set(database.name, Number(row?.runs ?? 0));
      }
      return { commits, autovacuum };
    };
    const before = await read();
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const after = await read();
    const elapsed = (performance.now() - start) / 1000;
    const byDatabase: Record<string, number> = {};
    let autovacuumRuns = 0;
    for (const name of target.databases) {
      const runs = (after.autovacuum.get(name) ?? 0) - (before.autovacuum.get(name) ?? 0);
      autovacuumRuns += runs;
      // One commit per database is the read of its counters at the end (taken at the start too).
      const commits = (after.commits.get(name) ?? 0) - (before.commits.get(name) ?? 0) - runs - 1;
      byDatabase[name] = Math.max(0, commits) / elapsed;
    }
    const commitsPerSecond = Object.values(byDatabase).reduce((sum, rate) => sum + rate, 0);
    return { commitsPerSecond, byDatabase, autovacuumPerSecond: autovacuumRuns / elapsed };
  } finally {
    await Promise.all([sql.end(), ...perDatabase.map((database) => database.sql.end())]);
  }
}
