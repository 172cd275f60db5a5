import { useState } from "preact/hooks";
import { api, type DeadLetter, type StreamView, useApi } from "../api.ts";
import { Empty, ErrorNote, Json, TraceLink } from "../components/bits.tsx";
import { clock } from "../format.ts";

export function EventsView() {
  const { data, error, reload } = useApi<{ streams: StreamView[]; deadLetters: DeadLetter[] }>("/api/events", 3_000);
  const [busy, setBusy] = useState<number | undefined>(undefined);
  const [note, setNote] = useState<string | undefined>(undefined);
  const [open, setOpen] = useState<number | undefined>(undefined);
  const redrive = async (seq: number) => {
    setBusy(seq);
    try {
      const result = await api<{ subject: string; streamSeq: number }>(`/api/events/dead-letters/${seq}/redrive`, {
        method: "POST",
      });
      setNote(`Re-drove dead letter ${seq} to ${result.subject} (stream sequence ${result.streamSeq}).`);
      reload();
    } catch (e) {
      setNote(String(e));
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <section>
      <header class="view-head">
        <h1>Events</h1>
        <p class="hint">
          JetStream streams and durable consumers, and the events parked in DEAD_LETTERS after their consumer gave up.
        </p>
      </header>
      <ErrorNote error={error} />
      {data?.streams.map((s) => (
        <div class="card" key={s.name} data-stream={s.name}>
          <h2>
            {s.name} <span class="muted small">{s.subjects.join(", ")}</span>
          </h2>
          <p class="small muted">
            {s.messages} messages · {(s.bytes / 1024).toFixed(1)} KiB · sequences {s.firstSeq}–{s.lastSeq}
          </p>
          {s.consumers.length > 0 && (
            <table class="table">
              <thead>
                <tr>
                  <th>durable consumer</th>
                  <th>filter</th>
                  <th class="num">pending</th>
                  <th class="num">ack pending</th>
                  <th class="num">redelivered</th>
                  <th class="num">delivered / ack floor</th>
                </tr>
              </thead>
              <tbody>
                {s.consumers.map((c) => (
                  <tr key={c.name} data-consumer={c.name}>
                    <td class="mono">{c.name}</td>
                    <td class="mono small">{c.filterSubject}</td>
                    <td class={`num ${c.pending > 0 ? "warn" : ""}`}>{c.pending}</td>
                    <td class={`num ${c.ackPending > 0 ? "warn" : ""}`}>{c.ackPending}</td>
                    <td class="num">{c.redelivered}</td>
                    <td class="num">
                      {c.deliveredSeq} / {c.ackFloorSeq}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      ))}
      <h2>Dead letters</h2>
      {note && <p class="note">{note}</p>}
      {data?.deadLetters.length === 0 && <Empty>Nothing is parked.</Empty>}
      {data && data.deadLetters.length > 0 && (
        <table class="table dead-letters">
          <thead>
            <tr>
              <th class="num">seq</th>
              <th>event</th>
              <th>consumer</th>
              <th>reason</th>
              <th>parked</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.deadLetters.map((d) => (
              <>
                <tr key={d.seq} data-dead-letter={d.seq} onClick={() => setOpen(open === d.seq ? undefined : d.seq)}>
                  <td class="num">{d.seq}</td>
                  <td>
                    <span class="mono">{d.eventType}</span>
                    <div class="small muted">
                      subject {d.eventSubject} · id {d.eventId}
                    </div>
                  </td>
                  <td class="mono">{d.consumer}</td>
                  <td class="bad small">{d.reason}</td>
                  <td class="small">
                    {clock(d.timeMs)} <TraceLink traceId={d.traceId} />
                  </td>
                  <td>
                    <button
                      type="button"
                      disabled={busy === d.seq}
                      onClick={(e) => {
                        e.stopPropagation();
                        void redrive(d.seq);
                      }}
                    >
                      Re-drive
                    </button>
                  </td>
                </tr>
                {open === d.seq && (
                  <tr key={`${d.seq}-detail`}>
                    <td colSpan={6}>
                      <Json value={{ payload: d.payload ?? d.payloadBase64, headers: d.headers }} />
                    </td>
                  </tr>
                )}
              </>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
