// The data behind `weft traces`, `weft authz` and `weft events` (the CLI wires the commands and
// prints the JSON). Each asks the running console first (its API has the live traffic windows and
// the explorer's context) and falls back to the history file, so the commands also work after
// `weft dev` stopped; `events` talks to NATS itself when no console runs.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { JetStreamView } from "../events/jetstream.ts";
import { ConsoleStore } from "../store/store.ts";
import { type AssembledTrace, assembleTrace, type TraceSummary } from "../traces/assemble.ts";

export interface CliSource {
  /** The running console, default http://127.0.0.1:$WEFT_CONSOLE_PORT (9400). */
  consoleUrl?: string;
  /** The history folder, default .data/console under the app root. */
  dataDir?: string;
}

export interface TracesQuery extends CliSource {
  /** One trace in full (its waterfall rows). */
  traceId?: string;
  limit?: number;
  service?: string;
  errorsOnly?: boolean;
  /** Traces mentioning this text: an order id, an email, a method name. */
  text?: string;
}

export type TracesOutput = { source: Source; traces: TraceSummary[] } | { source: Source; trace: AssembledTrace };

export interface AuthzQuery extends CliSource {
  limit?: number;
  decision?: "allow" | "deny";
  workload?: string;
}

export interface EventsQuery extends CliSource {
  /** NATS to ask directly when no console runs; default $NATS_URL or nats://127.0.0.1:4222. */
  natsUrl?: string;
  deadLetterLimit?: number;
}

type Source = "console" | "history" | "nats";

export async function traces(query: TracesQuery = {}): Promise<TracesOutput> {
  if (query.traceId !== undefined && !/^[0-9a-f]{32}$/.test(query.traceId)) {
    throw new RangeError("a trace id is 32 lowercase hex digits");
  }
  const live = await fromConsole(
    query,
    query.traceId
      ? `/api/traces/${query.traceId}`
      : `/api/traces?${params({
          limit: query.limit,
          service: query.service,
          errors: query.errorsOnly ? "true" : undefined,
          text: query.text,
        })}`,
  );
  if (live !== undefined) {
    return query.traceId
      ? { source: "console", trace: live as AssembledTrace }
      : { source: "console", traces: live as TraceSummary[] };
  }
  return withHistory(query, (store) => {
    if (query.traceId) {
      const spans = store.trace(query.traceId);
      if (spans.length === 0) throw new RangeError(`no trace ${query.traceId} in the history`);
      return { source: "history", trace: assembleTrace(spans) };
    }
    return {
      source: "history",
      traces: store.traces({
        limit: query.limit,
        service: query.service,
        errorsOnly: query.errorsOnly,
        text: query.text,
      }),
    };
  });
}

export async function authz(query: AuthzQuery = {}) {
  const live = await fromConsole(
    query,
    `/api/decisions?${params({ limit: query.limit, decision: query.decision, workload: query.workload })}`,
  );
  if (live !== undefined) return { source: "console" as Source, decisions: live as unknown[] };
  return withHistory(query, (store) => ({
    source: "history" as Source,
    decisions: store.decisions({ limit: query.limit, decision: query.decision, workload: query.workload }) as unknown[],
  }));
}

export async function events(query: EventsQuery = {}) {
  const live = await fromConsole(query, "/api/events");
  if (live !== undefined) return { source: "console" as Source, ...(live as object) };
  const view = new JetStreamView(query.natsUrl ?? process.env.NATS_URL ?? "nats://127.0.0.1:4222", undefined);
  try {
    return {
      source: "nats" as Source,
      streams: await view.streams(),
      deadLetters: await view.deadLetters(query.deadLetterLimit ?? 100),
    };
  } finally {
    await view.close();
  }
}

async function fromConsole(source: CliSource, path: string): Promise<unknown> {
  const base = source.consoleUrl ?? `http://127.0.0.1:${process.env.WEFT_CONSOLE_PORT || 9400}`;
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(2_000) });
  } catch {
    return undefined; // no console running: the caller reads the history
  }
  const body = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) throw new Error(body.error ?? `console answered HTTP ${response.status}`);
  return body;
}

function withHistory<T>(source: CliSource, read: (store: ConsoleStore) => T): T {
  const file = join(source.dataDir ?? join(process.cwd(), ".data", "console"), "history.sqlite");
  if (!existsSync(file)) throw new Error(`no console is running and there is no history at ${file}: start weft dev`);
  const store = new ConsoleStore(file);
  try {
    return read(store);
  } finally {
    store.close();
  }
}

function params(values: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined) search.set(key, String(value));
  return search.toString();
}
