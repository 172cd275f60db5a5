// What the orchestrator hands every benchmark.
import { chmodSync, mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";

export interface BenchContext {
  /** Repeated rounds per figure; medians are reported. */
  rounds: number;
  /** Seconds of each closed-loop measurement. */
  stepMs: number;
  /** Take CPU profiles (an extra, separate round) to explain the ratios. */
  profile: boolean;
  /** Scratch folder of this run (removed at the end). */
  workDir: string;
  log(line: string): void;
}

export function scratch(context: BenchContext, name: string): string {
  mkdirSync(context.workDir, { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(join(context.workDir, `${name}-`));
  // Searchable by the unprivileged user the embedded PostgreSQL runs as when the bench runs as root.
  chmodSync(context.workDir, 0o755);
  chmodSync(dir, 0o755);
  return dir;
}

export function timed<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  return run().then((value) => ({ value, seconds: (performance.now() - started) / 1000 }));
}
