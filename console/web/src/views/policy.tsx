import { useEffect, useState } from "preact/hooks";
import { type AuthzDecision, api, type GrantSuggestion, type PolicyMatrix, useApi, useLive } from "../api.ts";
import { clickable, Empty, ErrorNote, TraceLink } from "../components/bits.tsx";
import { clock, shortMethod } from "../format.ts";

type Decision = AuthzDecision & { id: number; suggestion?: GrantSuggestion };

function workload(caller: string): string {
  return /\/sa\/([^/]+)$/.exec(caller)?.[1] ?? (caller || "(no identity)");
}

export function PolicyView() {
  const matrix = useApi<PolicyMatrix>("/api/policy", 5_000);
  const [decisions, setDecisions] = useState<Decision[] | undefined>(undefined);
  const [onlyDenies, setOnlyDenies] = useState(true);
  const [cell, setCell] = useState<{ caller: string; callee: string } | undefined>(undefined);
  const load = () =>
    api<Decision[]>(`/api/decisions?limit=200${onlyDenies ? "&decision=deny" : ""}`).then(setDecisions);
  useEffect(() => void load(), [onlyDenies]);
  useLive((event) => {
    if (event === "decision") {
      void load();
      matrix.reload();
    }
  });
  const m = matrix.data;
  const selected = cell && m?.cells.find((c) => c.caller === cell.caller && c.callee === cell.callee);
  return (
    <section>
      <header class="view-head">
        <h1>Policy</h1>
        <p class="hint">
          Who may call what, derived from the manifests (rows call columns), and the mesh's decisions as they happen.
        </p>
      </header>
      <ErrorNote error={matrix.error} />
      {m && (
        <div class="card">
          <table class="matrix">
            <thead>
              <tr>
                <th>caller ↓ callee →</th>
                {m.callees.map((c) => (
                  <th key={c}>{c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {m.callers.map((caller) => (
                <tr key={caller}>
                  <th>{caller}</th>
                  {m.callees.map((callee) => {
                    const c = m.cells.find((x) => x.caller === caller && x.callee === callee);
                    const granted = c?.granted.length ?? 0;
                    return (
                      <td
                        key={callee}
                        class={`${granted > 0 ? "granted" : ""} ${c && c.denies > 0 ? "denied" : ""}`}
                        {...clickable(() => setCell({ caller, callee }))}
                        data-cell={`${caller}->${callee}`}
                      >
                        {granted > 0 ? `${granted} RPC${granted > 1 ? "s" : ""}` : ""}
                        {c && c.denies > 0 && <div class="bad small">{c.denies} denied</div>}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
          {selected && (
            <div class="cell-detail">
              <h3>
                {selected.caller} → {selected.callee}
              </h3>
              {selected.granted.length === 0 ? (
                <p class="muted">No grant.</p>
              ) : (
                <ul class="plain mono small">
                  {selected.granted.map((p) => (
                    <li key={p}>{shortMethod(p)}</li>
                  ))}
                </ul>
              )}
            </div>
          )}
        </div>
      )}
      <h2>
        Live decisions{" "}
        <label class="small">
          <input type="checkbox" checked={onlyDenies} onChange={(e) => setOnlyDenies(e.currentTarget.checked)} /> denies
          only
        </label>
      </h2>
      {decisions?.length === 0 && <Empty>No decisions yet.</Empty>}
      <div class="decisions">
        {decisions?.map((d) => (
          <div key={d.id} class={`decision decision-${d.decision}`} data-decision={d.decision}>
            <div class="decision-line">
              <span class={`badge ${d.decision === "deny" ? "bad" : "good"}`}>{d.decision}</span>
              <b>{workload(d.caller)}</b> → <b>{d.workload}</b> <span class="mono">{shortMethod(d.method)}</span>
              <span class="muted small">{clock(d.timeMs)}</span>
              <TraceLink traceId={d.traceId} />
            </div>
            <div class="muted small">
              {d.caller || "no peer identity"} ·{" "}
              {d.policy ? `policy ${d.policy}${d.rule >= 0 ? ` rule ${d.rule}` : ""}` : "no policy matched"}{" "}
              {d.reason && `· ${d.reason}`}
            </div>
            {d.suggestion && (
              <div class="suggestion">
                <div>{d.suggestion.explanation}</div>
                {d.suggestion.yaml && (
                  <pre class="yaml">
                    {d.suggestion.file && (
                      <span class="muted">
                        # {d.suggestion.file}
                        {"\n"}
                      </span>
                    )}
                    {d.suggestion.yaml}
                  </pre>
                )}
              </div>
            )}
          </div>
        ))}
      </div>
    </section>
  );
}
