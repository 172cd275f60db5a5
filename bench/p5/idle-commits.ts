// Idle commits: how many transactions a shop that nobody uses commits per second, from the
// `xact_commit` counters of `pg_stat_database`. Every statement outside an explicit transaction is
// a commit too, so a loop that polls with a plain SELECT counts as much as one that writes.
//
// The counters are read from the `postgres` database, so the measurement's own queries never add
// to the databases measured. Backends publish their counters lazily (at most once a second while
// busy, up to 10 s after they go idle), so the window should be long against that lag: both ends of
// it lag alike, and a steady background rate is what this measures.
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
}

export async function measureIdleCommits(target: IdleCommitsTarget, seconds: number): Promise<IdleCommits> {
  const url = new URL(target.adminUrl);
  url.pathname = "/postgres";
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    const read = async () => {
      const rows = await sql<Array<{ datname: string; commits: string }>>`
        select datname, xact_commit::text as commits from pg_stat_database where datname = any(${[...target.databases]})`;
      return new Map(rows.map((row) => [row.datname, Number(row.commits)]));
    };
    const before = await read();
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const after = await read();
    const elapsed = (performance.now() - start) / 1000;
    const byDatabase: Record<string, number> = {};
    for (const name of target.databases) {
      byDatabase[name] = ((after.get(name) ?? 0) - (before.get(name) ?? 0)) / elapsed;
    }
    const commitsPerSecond = Object.values(byDatabase).reduce((sum, rate) => sum + rate, 0);
    return { commitsPerSecond, byDatabase };
  } finally {
    await sql.end();
  }
}
