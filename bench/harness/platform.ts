// Helpers for benchmarks that start the whole shop with @weft/cli/dev (what `weft dev` runs).
import { readdirSync, readFileSync } from "node:fs";

export interface Memory {
  /** Resident set size, MB (shared pages counted in full). */
  rssMb: number;
  /** Proportional set size, MB (shared pages split between the processes sharing them). */
  pssMb: number;
}

function memoryOfOne(pid: number): Memory | undefined {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0) / 1024;
    return { rssMb: field("Rss"), pssMb: field("Pss") };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** Process ids whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // "pid (comm) state ppid …": comm may hold spaces, so split after its closing parenthesis.
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/**
 * Memory of a process, or of it and its children (PostgreSQL's backends, which share its buffers:
 * their PSS adds up to what the server really holds, their RSS would count the buffers many times).
 */
export function memoryOf(pid: number, withChildren = false): Memory | undefined {
  const own = memoryOfOne(pid);
  if (own === undefined || !withChildren) return own;
  const all = [own, ...childrenOf(pid).flatMap((child) => memoryOfOne(child) ?? [])];
  return { rssMb: all.reduce((sum, m) => sum + m.rssMb, 0), pssMb: all.reduce((sum, m) => sum + m.pssMb, 0) };
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
