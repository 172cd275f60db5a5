// `make bench`: runs P1–P5 side by side on this machine, prints a table and rewrites BENCHMARKS.md.
// Options: --only P1,P3 (a subset; BENCHMARKS.md is then not rewritten unless --write), --rounds N,
// --step-ms N, --no-profile.
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { BenchContext } from "./harness/context.ts";
import { consoleTable, type Section } from "./harness/report.ts";
import { writeBenchmarksMarkdown } from "./markdown.ts";
import { runP1 } from "./p1/index.ts";
import { runP2 } from "./p2/index.ts";
import { runP3 } from "./p3/index.ts";
import { runP4 } from "./p4/index.ts";
import { runP5 } from "./p5/index.ts";

const benchmarks: Record<string, { title: string; run: (context: BenchContext) => Promise<Section> }> = {
  P1: { title: "mesh overhead", run: runP1 },
  P2: { title: "edge", run: runP2 },
  P3: { title: "saga", run: runP3 },
  P4: { title: "events", run: runP4 },
  P5: { title: "footprint", run: runP5 },
};

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  node: string;
  os: string;
  postgres: string;
  nats: string;
  date: string;
  commit: string;
}

function machineFacts(): MachineFacts {
  const quiet = (command: string, args: string[]) => {
    try {
      return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return "unknown";
    }
  };
  return {
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    os: quiet("uname", ["-sr"]),
    postgres: quiet("psql", ["-h", "127.0.0.1", "-U", "postgres", "-Atc", "show server_version"]),
    nats: quiet("nats-server", ["--version"]),
    date: new Date().toISOString(),
    commit: quiet("git", ["rev-parse", "--short", "HEAD"]),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      rounds: { type: "string" },
      "step-ms": { type: "string" },
      "no-profile": { type: "boolean" },
      write: { type: "boolean" },
    },
  });
  const selected = (values.only ?? Object.keys(benchmarks).join(","))
    .split(",")
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s in benchmarks);
  const workDir = join(tmpdir(), `weft-bench-${process.pid}`);
  const context: BenchContext = {
    rounds: Number(values.rounds ?? 3),
    stepMs: Number(values["step-ms"] ?? 1_500),
    profile: !values["no-profile"],
    workDir,
    log: (line) => process.stdout.write(`${line}\n`),
  };
  const facts = machineFacts();
  context.log(
    `weft bench: ${facts.cores} × ${facts.cpuModel}, Node ${facts.node}, PostgreSQL ${facts.postgres}; running ${selected.join(", ")}`,
  );
  const started = performance.now();
  const sections: Section[] = [];
  try {
    for (const id of selected) {
      context.log(`\n== ${id} ${benchmarks[id]!.title}`);
      try {
        const section = await benchmarks[id]!.run(context);
        context.log(`  (${section.seconds.toFixed(0)} s)`);
        sections.push(section);
      } catch (error) {
        context.log(`  ${id} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        sections.push({
          id,
          title: benchmarks[id]!.title,
          rows: [],
          goals: [],
          method: [],
          notRun: [`the benchmark failed: ${error instanceof Error ? error.message : String(error)}`],
          seconds: 0,
        });
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const totalSeconds = (performance.now() - started) / 1000;
  context.log(`\n${consoleTable(sections)}\n\ntotal ${totalSeconds.toFixed(0)} s`);
  if (values.only === undefined || values.write) {
    const command = `make bench   # = tsx bench/main.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(" ")}` : ""}`;
    writeFileSync(
      new URL("../BENCHMARKS.md", import.meta.url),
      writeBenchmarksMarkdown({ sections, facts, command, totalSeconds }),
    );
    context.log("wrote BENCHMARKS.md");
  }
  // Clients and timers of the benchmarks may linger; the work is done.
  process.exit(0);
}

await main();
