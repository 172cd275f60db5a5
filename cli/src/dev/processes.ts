import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export interface ProcessSpec {
  /** Shown as the prefix of every log line. */
  name: string;
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd?: string;
  /** Run as this user and group (a launcher running as root starts PostgreSQL unprivileged). */
  uid?: number;
  gid?: number;
}

export interface Supervised {
  readonly name: string;
  readonly child: ChildProcess;
  /** Settles when the process has exited, with its exit code (or the signal that ended it). */
  readonly exited: Promise<number | NodeJS.Signals>;
}

/** Receives every line a supervised process prints, with its name. */
export type LineSink = (name: string, line: string, stream: "stdout" | "stderr") => void;

/**
 * Starts a process and forwards its output line by line to `sink`, so several processes'
 * logs interleave whole lines instead of torn fragments.
 */
export function startProcess(spec: ProcessSpec, sink: LineSink): Supervised {
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    ...(spec.uid === undefined ? {} : { uid: spec.uid }),
    ...(spec.gid === undefined ? {} : { gid: spec.gid }),
    env: { ...process.env, ...spec.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  for (const stream of ["stdout", "stderr"] as const) {
    const source = child[stream];
    if (source) createInterface({ input: source }).on("line", (line) => sink(spec.name, line, stream));
  }
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    child.once("exit", (code, signal) => resolve(signal ?? code ?? 0));
    child.once("error", (error) => {
      sink(spec.name, `could not start: ${error.message}`, "stderr");
      resolve(1);
    });
  });
  return { name: spec.name, child, exited };
}

/** SIGTERM, then SIGKILL after `graceMs` for whatever has not exited. */
export async function stopProcesses(processes: readonly Supervised[], graceMs: number): Promise<void> {
  for (const p of processes) if (p.child.exitCode === null) p.child.kill("SIGTERM");
  await Promise.all(
    processes.map((p) =>
      Promise.race([
        p.exited,
        new Promise<void>((resolve) =>
          setTimeout(() => {
            if (p.child.exitCode === null) p.child.kill("SIGKILL");
            resolve();
          }, graceMs).unref(),
        ),
      ]),
    ),
  );
  await Promise.all(processes.map((p) => p.exited));
}
