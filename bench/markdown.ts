// Renders BENCHMARKS.md from one run's sections.

import { type Goal, goalValue, markdownGoals, markdownTable, met, type Section, shortfall } from "./harness/report.ts";
import type { MachineFacts } from "./main.ts";

export interface RunReport {
  sections: readonly Section[];
  facts: MachineFacts;
  command: string;
  totalSeconds: number;
}

/** How close a ratio is to its goal: below 1 means short of it. */
function headroom(goal: Goal): number {
  if (!Number.isFinite(goal.ratio)) return -Infinity;
  return goal.direction === "≥" ? goal.ratio / goal.target : goal.target / goal.ratio;
}

export function writeBenchmarksMarkdown(report: RunReport): string {
  const { sections, facts } = report;
  const goals = sections.flatMap((s) => s.goals.map((g) => ({ section: s, goal: g })));
  const slowest = [...goals].sort((a, b) => headroom(a.goal) - headroom(b.goal))[0];
  const missed = goals.filter((g) => !met(g.goal));
  const out: string[] = [
    "# Benchmarks",
    "",
    "Written by `make bench` (bench/main.ts); every figure below comes from the run described here, and",
    "every ratio was measured side by side in that one run (variants alternate within each round; medians",
    "over rounds). Benchmarks are not tests: nothing in `make test` asserts a time. Re-run to refresh.",
    "",
    "## Machine and command",
    "",
    `- CPU: ${facts.cores} × ${facts.cpuModel}; memory ${facts.memoryGb} GB; ${facts.os}`,
    `- Node ${facts.node} (the version pinned in package.json); PostgreSQL ${facts.postgres} at 127.0.0.1:5432; ${facts.nats}`,
    `- commit ${facts.commit}, ${facts.date}; the run took ${Math.round(report.totalSeconds)} s`,
    `- command: \`${report.command}\``,
    "- The machine is shared and noisy (2 cores for driver and target alike), so absolute figures move",
    "  between runs; the ratios are what the goals are about.",
    "",
    "## Goals",
    "",
    markdownGoals(sections),
    "",
    "## Every figure",
    "",
    markdownTable(sections),
    "",
    "## Load generator",
    "",
    "A multi-process Node driver (bench/driver.ts, one `child_process.fork` per driver process, talking to",
    "the orchestrator over IPC): targets and drivers never share an event loop. P1's driver *is* the client",
    "under test (Weft client vs bare grpc-js client), one process per variant; P2 uses two driver",
    "processes per variant, concurrency split between them. Closed loop at concurrency 1/32/256 for",
    "throughput; open model (requests started on a fixed schedule, latency from the scheduled start, so",
    "no coordinated omission) for latency. Every loop is bounded in count and in time. No wrk/h2load is",
    "installed on this machine; autocannon is not a dependency.",
    "",
  ];
  for (const s of sections) {
    out.push(`## ${s.id} — ${s.title}`, "");
    if (s.method.length > 0) out.push(...s.method.map((m) => `- ${m}`), "");
    for (const g of s.goals) {
      out.push(
        `- **${g.name}**: ${goalValue(g)} (${g.formula}; goal ${g.direction} ${g.target}) — ${met(g) ? "met" : shortfall(g)}`,
      );
    }
    if (s.goals.length > 0) out.push("");
    if (s.notRun.length > 0) out.push("Not run:", "", ...s.notRun.map((n) => `- ${n}`), "");
    if (s.limits && s.limits.length > 0) out.push("What limits it:", "", ...s.limits, "");
    out.push(`(${Math.round(s.seconds)} s)`, "");
  }
  out.push("## The slowest ratio", "");
  if (slowest) {
    out.push(
      `The furthest from its goal is **${slowest.section.id} ${slowest.goal.name}** at ${goalValue(slowest.goal)} (goal ${slowest.goal.direction} ${slowest.goal.target}): ${met(slowest.goal) ? "met" : shortfall(slowest.goal)}. What limits it is in its section above (“What limits it”).`,
      "",
    );
  }
  out.push("## Missed goals", "");
  if (missed.length === 0) out.push("None.", "");
  for (const { section, goal } of missed) {
    out.push(
      `- ${section.id} ${goal.name}: ${goalValue(goal)} vs ${goal.direction} ${goal.target} — ${shortfall(goal)}. See ${section.id} above for what would close it.`,
    );
  }
  out.push("");
  return `${out.join("\n")}\n`;
}
