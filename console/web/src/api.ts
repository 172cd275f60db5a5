// The console's JSON API as the UI uses it, with the server's own types (type-only imports: no
// server code reaches the bundle).
import { useEffect, useRef, useState } from "preact/hooks";

export type { AuthzDecision } from "../../src/authz/decision.ts";
export type { DeadLetter, StreamView } from "../../src/events/jetstream.ts";
export type { CallResult } from "../../src/explorer/call.ts";
export type { FieldSchema, MessageSchema, RpcInfo } from "../../src/explorer/descriptors.ts";
export type { LogLevel, LogRecord } from "../../src/logs/parse.ts";
export type { SpanRecord } from "../../src/otlp/model.ts";
export type { GrantSuggestion, MatrixCell, PolicyMatrix } from "../../src/policy/matrix.ts";
export type { SagaTimeline } from "../../src/sagas/timeline.ts";
export type { Topology, TopologyEdge, TopologyNode } from "../../src/topology/graph.ts";
export type { AssembledTrace, TraceSummary } from "../../src/traces/assemble.ts";
export type { RedSummary } from "../../src/traffic/windows.ts";

export class ApiError extends Error {}

export async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, {
    ...init,
    headers: init?.body ? { "content-type": "application/json", ...init.headers } : init?.headers,
  });
  const body = (await response.json().catch(() => ({ error: `HTTP ${response.status}` }))) as T & { error?: string };
  if (!response.ok) throw new ApiError(body.error ?? `HTTP ${response.status}`);
  return body;
}

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  reload: () => void;
}

/** Fetches `path`, again every `everyMs` (if given) and whenever `deps` change. */
export function useApi<T>(path: string | undefined, everyMs?: number, deps: unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === undefined) return;
    let cancelled = false;
    const load = () =>
      api<T>(path).then(
        (value) => {
          if (cancelled) return;
          setData(value);
          setError(undefined);
        },
        (e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)),
      );
    void load();
    const timer = everyMs ? setInterval(load, everyMs) : undefined;
    return () => {
      cancelled = true;
      if (timer) clearInterval(timer);
    };
  }, [path, everyMs, tick, ...deps]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}

type LiveHandler = (event: string, data: unknown) => void;
const handlers = new Set<LiveHandler>();
let source: EventSource | undefined;

/** One EventSource for the page, shared by every view that listens. */
export function useLive(handler: LiveHandler): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const listener: LiveHandler = (event, data) => ref.current(event, data);
    handlers.add(listener);
    if (!source) {
      source = new EventSource("/api/live");
      for (const event of ["log", "decision", "traces", "health", "events"]) {
        source.addEventListener(event, (message) => {
          const data: unknown = JSON.parse((message as MessageEvent<string>).data);
          for (const h of handlers) h(event, data);
        });
      }
    }
    return () => {
      handlers.delete(listener);
    };
  }, []);
}
