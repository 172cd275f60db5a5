// Benchmark roles (servers, load drivers) run as child processes of the orchestrator, so a target
// and its driver never share an event loop. One request/response protocol over the IPC channel, with
// the "advanced" serialization so latency arrays travel as typed arrays.
import { type ChildProcess, fork } from "node:child_process";

export interface ChildOptions {
  /** Shown in errors. */
  name: string;
  env?: Record<string, string>;
  /** Writes a V8 CPU profile of the child into this folder when it exits (`node --cpu-prof`). */
  cpuProfDir?: string;
}

export interface ChildHandle {
  readonly name: string;
  readonly pid: number;
  call<T>(request: object): Promise<T>;
  /** Asks the child to exit (so a CPU profile is written) and waits; kills it after 10 s. */
  close(): Promise<void>;
}

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export async function startChild(entry: URL, options: ChildOptions): Promise<ChildHandle> {
  const execArgv = ["--conditions=weft-source", "--import", "tsx", "--no-deprecation"];
  if (options.cpuProfDir) execArgv.push("--cpu-prof", "--cpu-prof-dir", options.cpuProfDir);
  const child: ChildProcess = fork(entry.pathname, [], {
    execArgv,
    env: { ...process.env, ...options.env },
    serialization: "advanced",
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.on("message", (message: Reply) => {
    const waiter = waiting.get(message.id);
    if (!waiter) return;
    waiting.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new Error(`${options.name}: ${message.error}`));
  });
  child.once("exit", (code, signal) => {
    for (const waiter of waiting.values()) waiter.reject(new Error(`${options.name} exited (${signal ?? code})`));
    waiting.clear();
  });
  const handle: ChildHandle = {
    name: options.name,
    pid: child.pid ?? -1,
    call<T>(request: object): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, request });
      });
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ id: -1, request: { kind: "exit" } });
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  await handle.call({ kind: "ping" });
  return handle;
}

/** The child side: answers each request with `handle`; "exit" runs `cleanup` and ends the process. */
export function serveRequests(
  handle: (request: { kind: string }) => Promise<unknown>,
  cleanup: () => Promise<void> = async () => {},
): void {
  process.on("message", (message: { id: number; request: { kind: string } }) => {
    const { id, request } = message;
    if (request.kind === "exit") {
      cleanup()
        .catch(() => {})
        .finally(() => process.exit(0));
      return;
    }
    const answer = request.kind === "ping" ? Promise.resolve("pong") : Promise.resolve().then(() => handle(request));
    answer.then(
      (result) => process.send?.({ id, ok: true, result }),
      (error: unknown) =>
        process.send?.({
          id,
          ok: false,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
    );
  });
  // The orchestrator died: do not linger.
  process.on("disconnect", () => process.exit(0));
}
