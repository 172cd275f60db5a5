// CPU time of benchmark processes, read from /proc (Linux): what a process spent per request is
// what decides throughput when the machine's cores are all busy, and unlike req/s it hardly moves
// with the machine's noise.
import { readFileSync } from "node:fs";

/** /proc reports CPU time in clock ticks of USER_HZ, which Linux fixes at 100 per second. */
const microsPerTick = 10_000;

/** User + system CPU time of a process so far, µs; NaN where /proc cannot tell (not Linux, exited). */
export function cpuMicros(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which is in parentheses and may hold spaces): utime is the
    // 14th field of the line, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * microsPerTick;
  } catch {
    return Number.NaN;
  }
}

/** The processes doing one variant's work, by role ("server", "client", "gateway", …). */
export type Processes = ReadonlyArray<{ role: string; pids: readonly number[] }>;

/** CPU µs per request of each role over a stretch of work that served `requests` requests. */
export async function cpuPerRequest(processes: Processes, work: () => Promise<number>): Promise<Map<string, number>> {
  const total = (pids: readonly number[]) => pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
  const before = processes.map(({ pids }) => total(pids));
  const requests = await work();
  const perRequest = new Map<string, number>();
  processes.forEach(({ role, pids }, i) => {
    perRequest.set(role, requests > 0 ? (total(pids) - before[i]!) / requests : Number.NaN);
  });
  return perRequest;
}
