// How busy an idle platform keeps its databases: committed transactions per second, summed over the
// platform's own databases, from PostgreSQL's statistics (pg_stat_database.xact_commit).
import postgres from "postgres";

/**
 * Commits per second in `databases` over `seconds` of doing nothing. Backends report their counts
 * to the statistics collector when they go idle (at most once a second, at least every ten), so a
 * window of tens of seconds keeps that delay a small part of the figure.
 */
export async function idleCommitsPerSecond(
  adminUrl: string,
  databases: readonly string[],
  seconds: number,
): Promise<number> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const total = async () => {
      const [row] = await sql<{ commits: string }[]>`
        select coalesce(sum(xact_commit), 0)::text as commits from pg_stat_database where datname = any(${[...databases]})`;
      return Number(row?.commits ?? 0);
    };
    const before = await total();
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const after = await total();
    return (after - before) / ((performance.now() - started) / 1000);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
