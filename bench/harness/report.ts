// What each benchmark hands back, and the two renderings of it: the console table and BENCHMARKS.md.
import { round } from "./stats.ts";

export interface Row {
  /** The figure, e.g. "Weft server+client". */
  subject: string;
  /** The load it was measured at, e.g. "c=32" or "open 2000/s". */
  load: string;
  value: number;
  unit: string;
  /** Anything a reader needs to interpret this row (errors, samples). */
  note?: string;
}

export interface Goal {
  name: string;
  ratio: number;
  /** "≥" or "≤". */
  direction: "≥" | "≤";
  target: number;
  /** How the ratio was formed. */
  formula: string;
}

export interface Section {
  id: string;
  title: string;
  rows: Row[];
  goals: Goal[];
  /** Markdown paragraphs or bullets: what was measured and how. */
  method: string[];
  /** Markdown: what limits the ratio (profile summary, reasoning). */
  limits?: string[];
  /** What could not run, and why. */
  notRun: string[];
  /** Seconds the benchmark took. */
  seconds: number;
}

export function met(goal: Goal): boolean {
  if (!Number.isFinite(goal.ratio)) return false;
  return goal.direction === "≥" ? goal.ratio >= goal.target : goal.ratio <= goal.target;
}

/** How far a missed goal is from its target, as a sentence fragment. */
export function shortfall(goal: Goal): string {
  if (!Number.isFinite(goal.ratio)) return "not measured";
  if (met(goal)) return "met";
  const factor = goal.direction === "≥" ? goal.target / goal.ratio : goal.ratio / goal.target;
  const points = Math.abs(goal.target - goal.ratio);
  const percent = (factor - 1) * 100;
  return `missed by ${visible(points, 2)} (${visible(percent, 0)}% away: needs ${visible(factor - 1, 2, 1)}× ${
    goal.direction === "≥" ? "more" : "less"
  })`;
}

/**
 * A goal's measured value, with a third decimal where two would show a miss as the target itself
 * (0.847 against ≥ 0.85).
 */
export function goalValue(goal: Goal): string {
  const shown = formatValue(goal.ratio, "×");
  return !met(goal) && shown === formatValue(goal.target, "×") ? goal.ratio.toFixed(3) : shown;
}

/** `value` (+ `offset`) rounded to `decimals`, or to as many more as it takes not to show 0 (up to 4). */
function visible(value: number, decimals: number, offset = 0): number {
  let places = decimals;
  while (places < decimals + 3 && round(value, places) === 0) places++;
  return round(value + offset, places);
}

export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return "—";
  if (unit === "×") return value.toFixed(2);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString("en-US");
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function consoleTable(sections: readonly Section[]): string {
  const lines: string[] = [];
  const header = ["bench", "subject", "load", "value", "unit"];
  const rows = sections.flatMap((s) =>
    s.rows.map((r) => [s.id, r.subject, r.load, formatValue(r.value, r.unit), r.unit]),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ");
  lines.push(line(header), widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) lines.push(line(r));
  lines.push("", "goals:");
  for (const s of sections) {
    for (const g of s.goals) {
      lines.push(
        `  ${met(g) ? "MET   " : "MISSED"} ${s.id} ${g.name}: ${goalValue(g)} (goal ${g.direction} ${g.target}) ${met(g) ? "" : `— ${shortfall(g)}`}`,
      );
    }
    for (const n of s.notRun) lines.push(`  NOT RUN ${s.id}: ${n}`);
  }
  return lines.join("\n");
}

const cell = (text: string) => text.replaceAll("|", "\\|");

export function markdownTable(sections: readonly Section[]): string {
  const out = ["| bench | subject | load | value | unit | note |", "|---|---|---|---:|---|---|"];
  for (const s of sections) {
    for (const r of s.rows) {
      out.push(
        `| ${s.id} | ${cell(r.subject)} | ${cell(r.load)} | ${formatValue(r.value, r.unit)} | ${r.unit} | ${cell(r.note ?? "")} |`,
      );
    }
  }
  return out.join("\n");
}

export function markdownGoals(sections: readonly Section[]): string {
  const out = ["| bench | ratio | formula | measured | goal | verdict |", "|---|---|---|---:|---|---|"];
  for (const s of sections) {
    for (const g of s.goals) {
      out.push(
        `| ${s.id} | ${cell(g.name)} | ${cell(g.formula)} | ${goalValue(g)} | ${g.direction} ${g.target} | ${met(g) ? "met" : `**${shortfall(g)}**`} |`,
      );
    }
    for (const n of s.notRun) out.push(`| ${s.id} | — | — | — | — | **not run**: ${cell(n)} |`);
  }
  return out.join("\n");
}
