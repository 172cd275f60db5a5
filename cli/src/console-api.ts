// The running development console's JSON API (@weft/console, which `weft dev` serves), as
// `weft traces`, `weft authz` and `weft events` read it. Over HTTP rather than by importing the
// package: @weft/cli does not depend on the console, and the console holds the live state
// (traffic windows, the bus connection) that only the running process has.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { findAppRoot } from "@weft/mesh/app";

/** The file in weft dev's data folder that holds the running console's URL. */
export function consoleUrlFile(dataDir: string): string {
  return join(dataDir, "console.url");
}

/**
 * Where the console is: --console, else WEFT_CONSOLE_URL, else the URL the running `weft dev` of
 * this app recorded in its data folder (it may have moved off a taken 9400), else 127.0.0.1 on
 * WEFT_CONSOLE_PORT (9400).
 */
export function consoleUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const url = flag ?? env.WEFT_CONSOLE_URL ?? recordedUrl(env) ?? `http://127.0.0.1:${env.WEFT_CONSOLE_PORT || 9400}`;
  return url.replace(/\/+$/, "");
}

function recordedUrl(env: NodeJS.ProcessEnv): string | undefined {
  try {
    const dataDir = resolve(findAppRoot(process.cwd(), env), env.WEFT_DATA_DIR || ".data");
    return readFileSync(consoleUrlFile(dataDir), "utf8").trim() || undefined;
  } catch {
    return undefined; // outside an app, or no console recorded: the default
  }
}

/** No console answered at the URL: one line that says what to do. */
export class NoConsoleError extends Error {
  override readonly name = "NoConsoleError";
  constructor(readonly url: string) {
    super(`no console at ${url} — is \`make up\` running?`);
  }
}

/** GET (or POST) a path of the console's API; the console's own error message when it refuses. */
export async function consoleApi<T>(base: string, path: string, method: "GET" | "POST" = "GET"): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, { method, signal: AbortSignal.timeout(5_000) });
  } catch {
    throw new NoConsoleError(base);
  }
  const body = (await response.json().catch(() => undefined)) as { error?: string } | undefined;
  if (body === undefined)
    throw new Error(`${base} answered HTTP ${response.status} without JSON: is it a Weft console?`);
  if (!response.ok) throw new Error(`the console refused ${path}: ${body.error ?? `HTTP ${response.status}`}`);
  return body as T;
}

/** A query string from the options that are set. */
export function query(values: Record<string, string | number | boolean | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

// The parts of the console's answers the readable output prints (--json prints them whole).

export interface TraceSummary {
  traceId: string;
  startMs: number;
  durationMs: number;
  rootName: string;
  rootService: string;
  spanCount: number;
  errorCount: number;
  services: string[];
}

export interface TraceView {
  summary: TraceSummary;
  rows: Array<{
    depth: number;
    offsetMs: number;
    span: {
      spanId: string;
      name: string;
      kind: string;
      service: string;
      durationMs: number;
      status: string;
      statusMessage: string;
    };
  }>;
}

export interface DecisionView {
  timeMs: number;
  decision: "allow" | "deny";
  workload: string;
  caller: string;
  method: string;
  policy: string;
  rule: number;
  reason: string;
  traceId: string;
  suggestion?: { file: string | undefined; yaml: string | undefined; explanation: string };
}

export interface EventsView {
  streams: Array<{
    name: string;
    subjects: string[];
    messages: number;
    consumers: Array<{ name: string; pending: number; ackPending: number; redelivered: number }>;
  }>;
  deadLetters: Array<{
    seq: number;
    timeMs: number;
    consumer: string;
    originalSubject: string;
    eventType: string;
    reason: string;
    traceId: string | undefined;
  }>;
}
