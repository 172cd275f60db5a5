import { useState } from "preact/hooks";
import { type SagaTimeline, type TraceSummary, useApi } from "../api.ts";
import { Empty, ErrorNote, TraceLink } from "../components/bits.tsx";
import { ago, clock, ms } from "../format.ts";
import { linkProps, navigate, useLocation } from "../router.ts";

export function SagasView() {
  const { path } = useLocation();
  const id = /^\/sagas\/(.+)$/.exec(path)?.[1];
  const [input, setInput] = useState(id ? decodeURIComponent(id) : "");
  const recent = useApi<Array<{ sagaId: string; lastMs: number; spans: number }>>("/api/sagas?limit=30", 3_000);
  return (
    <section>
      <header class="view-head">
        <h1>Sagas</h1>
        <p class="hint">
          A saga's steps, outcomes and compensations, from the spans its runner marks with saga.id. Find one by its id
          (an order id).
        </p>
      </header>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          if (input.trim()) navigate(`/sagas/${encodeURIComponent(input.trim())}`);
        }}
      >
        <input
          name="sagaId"
          placeholder="saga id (order id)"
          value={input}
          onInput={(e) => setInput(e.currentTarget.value)}
          class="mono wide"
        />
        <button type="submit">Find</button>
      </form>
      <div class="saga-layout">
        <div class="saga-list">
          <h3>Recent</h3>
          {recent.data?.length === 0 && <Empty>No saga spans yet.</Empty>}
          <ul class="plain">
            {recent.data?.map((s) => (
              <li key={s.sagaId}>
                <a class="mono" {...linkProps(`/sagas/${encodeURIComponent(s.sagaId)}`)}>
                  {s.sagaId}
                </a>
                <div class="muted small">
                  {s.spans} steps · {ago(s.lastMs)}
                </div>
              </li>
            ))}
          </ul>
        </div>
        {id && <Timeline sagaId={decodeURIComponent(id)} />}
      </div>
    </section>
  );
}

function Timeline(props: { sagaId: string }) {
  const { data, error } = useApi<SagaTimeline & { related: TraceSummary[] }>(
    `/api/sagas/${encodeURIComponent(props.sagaId)}`,
    2_000,
    [props.sagaId],
  );
  if (error) return <ErrorNote error={error} />;
  if (!data) return null;
  return (
    <div class="saga-timeline">
      <h2>
        {data.sagaName ?? "saga"} <span class="mono">{data.sagaId}</span>{" "}
        {data.status && (
          <span class={`badge status-${data.status.toLowerCase()}`} data-saga-status={data.status}>
            {data.status}
          </span>
        )}
      </h2>
      {data.steps.length === 0 && <Empty>No span carries saga.id = {data.sagaId} (yet).</Empty>}
      <ol class="timeline">
        {data.steps.map((s) => (
          <li
            key={s.spanId}
            class={`step ${s.compensation ? "compensation" : ""} outcome-${s.outcome ?? "unknown"}`}
            data-step={s.step}
          >
            <div class="step-head">
              <b>{s.step}</b>
              {s.compensation && <span class="badge warn">compensation</span>}
              {s.outcome && <span class={`badge ${s.outcome === "ok" ? "good" : "bad"}`}>{s.outcome}</span>}
              {s.attempt !== undefined && s.attempt > 1 && <span class="muted small">attempt {s.attempt}</span>}
              {s.status && <span class="muted small">→ {s.status}</span>}
            </div>
            <div class="small muted">
              {clock(s.timeMs)} · {ms(s.durationMs)} · {s.service} {s.reason && <span class="bad">· {s.reason}</span>}{" "}
              <TraceLink traceId={s.traceId} />
            </div>
          </li>
        ))}
      </ol>
      {data.related.length > 0 && (
        <>
          <h3>Traces mentioning {data.sagaId}</h3>
          <ul class="plain">
            {data.related.map((t) => (
              <li key={t.traceId}>
                <TraceLink traceId={t.traceId}>{`${t.rootService} ${t.rootName}`}</TraceLink>{" "}
                <span class="muted small">{ago(t.startMs)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
