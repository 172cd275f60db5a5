import { useEffect, useState } from "preact/hooks";
import { api, type LogLevel, type LogRecord, useLive } from "../api.ts";
import { clickable, ErrorNote, TraceLink } from "../components/bits.tsx";
import { clock, serviceColor } from "../format.ts";
import { useLocation } from "../router.ts";

const levels: LogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal"];
const keep = 2_000;

export function LogLines(props: { lines: readonly LogRecord[] }) {
  const [open, setOpen] = useState<number | undefined>(undefined);
  return (
    <div class="log-lines" role="log">
      {props.lines.map((line) => (
        <div
          key={line.id}
          class={`log-line level-${line.level}`}
          data-process={line.process}
          {...clickable(() => setOpen(open === line.id ? undefined : line.id))}
        >
          <span class="log-time">{clock(line.timeMs)}</span>
          <span class="log-process" style={{ color: serviceColor(line.process) }}>
            {line.process}
          </span>
          <span class="log-level">{line.level}</span>
          <span class="log-msg">{line.msg}</span>
          {Object.keys(line.fields).length > 0 && <span class="log-fields">{compactFields(line.fields)}</span>}
          <TraceLink traceId={line.traceId} />
          {open === line.id && (
            <pre class="json">
              {JSON.stringify({ ...line.fields, request_id: line.requestId, span_id: line.spanId }, null, 2)}
            </pre>
          )}
        </div>
      ))}
    </div>
  );
}

function compactFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .slice(0, 6)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ")
    .slice(0, 240);
}

function matches(
  line: LogRecord,
  filter: { level: LogLevel; process: string; traceId: string; text: string },
): boolean {
  if (levels.indexOf(line.level) < levels.indexOf(filter.level)) return false;
  if (filter.process && line.process !== filter.process) return false;
  if (filter.traceId && line.traceId !== filter.traceId) return false;
  if (filter.text && !`${line.msg} ${JSON.stringify(line.fields)}`.includes(filter.text)) return false;
  return true;
}

export function LogsView() {
  const { query } = useLocation();
  const [level, setLevel] = useState<LogLevel>((query.get("level") as LogLevel) ?? "info");
  const [process, setProcess] = useState(query.get("process") ?? "");
  const [traceId, setTraceId] = useState(query.get("traceId") ?? "");
  const [text, setText] = useState(query.get("text") ?? "");
  const [lines, setLines] = useState<LogRecord[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  const [paused, setPaused] = useState(false);
  const filter = { level, process, traceId: /^[0-9a-f]{32}$/.test(traceId) ? traceId : "", text };
  useEffect(() => {
    const search = new URLSearchParams({ limit: "500", level });
    if (process) search.set("process", process);
    if (filter.traceId) search.set("traceId", filter.traceId);
    if (text) search.set("text", text);
    api<LogRecord[]>(`/api/logs?${search}`).then(
      (value) => {
        setLines(value);
        setError(undefined);
      },
      (e: unknown) => setError(String(e)),
    );
  }, [level, process, filter.traceId, text]);
  useLive((event, data) => {
    if (event !== "log" || paused) return;
    const line = data as LogRecord;
    if (matches(line, filter)) setLines((current) => [...current.slice(-keep + 1), line]);
  });
  const processes = [...new Set(lines.map((l) => l.process).concat(process ? [process] : []))].sort();
  return (
    <section>
      <header class="view-head">
        <h1>Logs</h1>
        <p class="hint">Every process's lines, live; kept across restarts. A trace id opens its trace.</p>
      </header>
      <div class="filters">
        <select
          value={level}
          onChange={(e) => setLevel(e.currentTarget.value as LogLevel)}
          name="level"
          aria-label="minimum level"
        >
          {levels.map((l) => (
            <option key={l} value={l}>
              {l} and above
            </option>
          ))}
        </select>
        <select value={process} onChange={(e) => setProcess(e.currentTarget.value)} name="process" aria-label="process">
          <option value="">every process</option>
          {processes.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <input
          placeholder="trace id"
          value={traceId}
          onInput={(e) => setTraceId(e.currentTarget.value.trim())}
          name="traceId"
          class="mono"
        />
        <input
          type="search"
          placeholder="text"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          name="text"
        />
        <label>
          <input type="checkbox" checked={paused} onChange={(e) => setPaused(e.currentTarget.checked)} /> pause
        </label>
      </div>
      <ErrorNote error={error} />
      <LogLines lines={lines} />
    </section>
  );
}
