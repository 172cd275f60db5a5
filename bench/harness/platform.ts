// Helpers for benchmarks that start the whole shop with @weft/cli/dev (what `weft dev` runs).
import { readdirSync, readFileSync } from "node:fs";

/** Resident set size (kB) of the process whose command line contains `entry`, from /proc. */
export function rssOf(entry: string): { pid: number; rssKb: number } | undefined {
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ");
      if (!cmdline.includes(entry) || cmdline.includes("bench/")) continue;
      const status = readFileSync(`/proc/${name}/status`, "utf8");
      const rss = /VmRSS:\s+(\d+) kB/.exec(status);
      if (rss) return { pid: Number(name), rssKb: Number(rss[1]) };
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

export function entryOf(name: string): string {
  return name === "gateway" ? "gateway/src/main.ts" : `services/${name}/src/main.ts`;
}

/** Keeps the last `limit` log lines of the platform's processes, to show when something fails. */
export function lastLines(limit = 60): { sink: (name: string, line: string) => void; lines: () => string[] } {
  const kept: string[] = [];
  return {
    sink(name, line) {
      kept.push(`${name} │ ${line}`);
      if (kept.length > limit) kept.shift();
    },
    lines: () => [...kept],
  };
}
