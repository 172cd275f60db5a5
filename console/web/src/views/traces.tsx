import { useState } from "preact/hooks";
import { type AssembledTrace, type LogRecord, type SpanRecord, type TraceSummary, useApi, useLive } from "../api.ts";
import { clickable, Empty, ErrorNote, Json } from "../components/bits.tsx";
import { ago, clock, ms, serviceColor } from "../format.ts";
import { linkProps, useLocation } from "../router.ts";
import { LogLines } from "./logs.tsx";

export function TracesView() {
  const { path } = useLocation();
  const id = /^\/traces\/([0-9a-f]{32})$/.exec(path)?.[1];
  return id ? <TraceDetail traceId={id} /> : <TraceList />;
}

function TraceList() {
  const { query } = useLocation();
  const [text, setText] = useState(query.get("text") ?? "");
  const [service, setService] = useState(query.get("service") ?? "");
  const [errors, setErrors] = useState(query.get("errors") === "true");
  const search = new URLSearchParams({ limit: "100" });
  if (text) search.set("text", text);
  if (service) search.set("service", service);
  if (errors) search.set("errors", "true");
  const { data, error, reload } = useApi<TraceSummary[]>(`/api/traces?${search}`);
  const [lastReload, setLastReload] = useState(0);
  useLive((event) => {
    // A busy mesh changes traces many times a second; a list refreshes at most once a second.
    if (event === "traces" && Date.now() - lastReload > 1_000) {
      setLastReload(Date.now());
      reload();
    }
  });
  const services = [...new Set((data ?? []).flatMap((t) => t.services))].sort();
  const longest = Math.max(1, ...(data ?? []).map((t) => t.durationMs));
  return (
    <section>
      <header class="view-head">
        <h1>Traces</h1>
        <p class="hint">
          The most recent traces received over OTLP. Search by any attribute value: an order id, an email, a method.
        </p>
      </header>
      <div class="filters">
        <input
          type="search"
          placeholder="search spans and attributes"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          name="text"
        />
        <select value={service} onChange={(e) => setService(e.currentTarget.value)} name="service">
          <option value="">every service</option>
          {[...new Set([...services, service].filter(Boolean))].map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
        <label>
          <input type="checkbox" checked={errors} onChange={(e) => setErrors(e.currentTarget.checked)} /> errors only
        </label>
      </div>
      <ErrorNote error={error} />
      {data?.length === 0 && <Empty>No traces yet.</Empty>}
      <table class="table traces">
        <thead>
          <tr>
            <th>root</th>
            <th>services</th>
            <th class="num">spans</th>
            <th>duration</th>
            <th>when</th>
          </tr>
        </thead>
        <tbody>
          {data?.map((t) => (
            <tr key={t.traceId} class={t.errorCount > 0 ? "has-error" : ""} data-trace={t.traceId}>
              <td>
                <a {...linkProps(`/traces/${t.traceId}`)}>
                  <span class="swatch" style={{ background: serviceColor(t.rootService) }} />
                  <b>{t.rootService}</b> {t.rootName}
                </a>
                {t.errorCount > 0 && <span class="badge bad">{t.errorCount} error</span>}
              </td>
              <td class="small">{t.services.join(" → ")}</td>
              <td class="num">{t.spanCount}</td>
              <td>
                <div class="duration-bar" style={{ width: `${Math.max(2, (t.durationMs / longest) * 100)}%` }} />
                {ms(t.durationMs)}
              </td>
              <td class="muted" title={clock(t.startMs)}>
                {ago(t.startMs)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function TraceDetail(props: { traceId: string }) {
  const { data, error, reload } = useApi<AssembledTrace & { logs: LogRecord[] }>(
    `/api/traces/${props.traceId}`,
    undefined,
    [props.traceId],
  );
  useLive((event, ids) => event === "traces" && (ids as string[]).includes(props.traceId) && reload());
  const [selected, setSelected] = useState<string | undefined>(undefined);
  if (error) return <ErrorNote error={error} />;
  if (!data) return null;
  const { summary, rows } = data;
  const total = Math.max(summary.durationMs, 0.001);
  const span = rows.find((r) => r.span.spanId === selected)?.span ?? rows[0]?.span;
  return (
    <section>
      <header class="view-head">
        <a class="back" {...linkProps("/traces")}>
          ← traces
        </a>
        <h1>
          {summary.rootService} <span class="muted">{summary.rootName}</span>
        </h1>
        <p class="hint mono" data-trace-id={summary.traceId}>
          trace {summary.traceId} · {summary.spanCount} spans · {summary.services.length} services ·{" "}
          {ms(summary.durationMs)} · {clock(summary.startMs)}
        </p>
      </header>
      <div class="trace-layout">
        <div class="waterfall">
          {rows.map((row) => (
            <div
              key={row.span.spanId}
              class={`wf-row${row.span.spanId === span?.spanId ? " selected" : ""}${row.span.status === "error" ? " has-error" : ""}`}
              {...clickable(() => setSelected(row.span.spanId))}
              data-span={row.span.name}
              data-service={row.span.service}
              data-kind={row.span.kind}
            >
              <div class="wf-name" style={{ paddingLeft: `${row.depth * 14 + 6}px` }}>
                <span class="swatch" style={{ background: serviceColor(row.span.service) }} />
                <span class="wf-service">{row.span.service}</span> <span class="wf-op">{row.span.name}</span>
                <span class="kind">{row.span.kind}</span>
                {row.span.events.some(
                  (e) => e.name === "authz.decision" && e.attributes["authz.decision"] === "deny",
                ) && <span class="badge bad">denied</span>}
              </div>
              <div class="wf-track">
                <div
                  class="wf-bar"
                  style={{
                    left: `${(row.offsetMs / total) * 100}%`,
                    width: `${Math.max(0.4, (row.span.durationMs / total) * 100)}%`,
                    background: serviceColor(row.span.service),
                  }}
                />
                <span
                  class="wf-time"
                  style={
                    // Past the middle the label sits left of the bar, so it never runs off the track.
                    (row.offsetMs + row.span.durationMs) / total > 0.6
                      ? { right: `${100 - (row.offsetMs / total) * 100}%`, marginRight: "6px" }
                      : { left: `${((row.offsetMs + row.span.durationMs) / total) * 100}%`, marginLeft: "6px" }
                  }
                >
                  {ms(row.span.durationMs)}
                </span>
              </div>
            </div>
          ))}
        </div>
        {span && <SpanPanel span={span} />}
      </div>
      <h2>Logs of this trace</h2>
      {data.logs.length === 0 ? <Empty>No log line carries this trace id.</Empty> : <LogLines lines={data.logs} />}
    </section>
  );
}

function SpanPanel(props: { span: SpanRecord }) {
  const { span } = props;
  return (
    <aside class="panel span-panel">
      <h2>{span.name}</h2>
      <dl class="facts">
        <dt>service</dt>
        <dd>{span.service}</dd>
        <dt>kind</dt>
        <dd>{span.kind}</dd>
        <dt>status</dt>
        <dd class={span.status === "error" ? "bad" : ""}>
          {span.status}
          {span.statusMessage && `: ${span.statusMessage}`}
        </dd>
        <dt>start</dt>
        <dd>{clock(span.startMs)}</dd>
        <dt>duration</dt>
        <dd>{ms(span.durationMs)}</dd>
        <dt>span id</dt>
        <dd class="mono">{span.spanId}</dd>
      </dl>
      <h3>Attributes</h3>
      <table class="attrs">
        <tbody>
          {Object.entries(span.attributes).map(([key, value]) => (
            <tr key={key}>
              <th>{key}</th>
              <td class="mono">{typeof value === "string" ? value : JSON.stringify(value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {span.events.length > 0 && (
        <>
          <h3>Events</h3>
          {span.events.map((e) => (
            <div key={`${e.name}${e.timeMs}`} class="event">
              <b>{e.name}</b> <span class="muted">+{ms(e.timeMs - span.startMs)}</span>
              <Json value={e.attributes} />
            </div>
          ))}
        </>
      )}
      {span.links.length > 0 && (
        <>
          <h3>Links</h3>
          {span.links.map((l) => (
            <a key={l.spanId} class="mono" {...linkProps(`/traces/${l.traceId}`)}>
              {l.traceId}
            </a>
          ))}
        </>
      )}
    </aside>
  );
}
