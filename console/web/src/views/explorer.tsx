import { useEffect, useState } from "preact/hooks";
import { api, type CallResult, type MessageSchema, type RpcInfo, useApi } from "../api.ts";
import { ErrorNote, Json, TraceLink } from "../components/bits.tsx";
import { JsonArea, MessageForm } from "../components/form.tsx";
import { ms } from "../format.ts";
import { linkProps, useLocation } from "../router.ts";

interface RpcList {
  rpcs: RpcInfo[];
  identities: string[];
  gatewayUrl?: string;
}

const tokenKey = "weft-console-token";
const jwtPattern = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A string in the response that looks like a JWT (an access token from signing in). */
function findToken(value: unknown): string | undefined {
  if (typeof value === "string") return jwtPattern.test(value) && value.length > 40 ? value : undefined;
  if (Array.isArray(value)) return value.map(findToken).find(Boolean);
  if (value && typeof value === "object") return Object.values(value).map(findToken).find(Boolean);
  return undefined;
}

export function ExplorerView() {
  const { query } = useLocation();
  const list = useApi<RpcList>("/api/rpcs");
  const [filter, setFilter] = useState("");
  const selectedPath = query.get("rpc") ?? undefined;
  const rpc = list.data?.rpcs.find((r) => r.path === selectedPath);
  const groups = new Map<string, RpcInfo[]>();
  for (const r of list.data?.rpcs ?? []) {
    if (filter && !r.path.toLowerCase().includes(filter.toLowerCase())) continue;
    groups.set(r.service, [...(groups.get(r.service) ?? []), r]);
  }
  return (
    <section>
      <header class="view-head">
        <h1>API explorer</h1>
        <p class="hint">
          Call any RPC: through the edge with a token, or over mTLS as a workload of your choice, to try a policy. Each
          call is traced.
        </p>
      </header>
      <ErrorNote error={list.error} />
      <div class="explorer">
        <div class="rpc-list">
          <input
            type="search"
            placeholder="filter RPCs"
            value={filter}
            onInput={(e) => setFilter(e.currentTarget.value)}
            name="rpcFilter"
          />
          {[...groups].map(([service, rpcs]) => (
            <div key={service} class="rpc-group">
              <div class="rpc-service">
                {service.slice(service.lastIndexOf(".") + 1)} <span class="muted small">{rpcs[0]?.workload}</span>
              </div>
              {rpcs.map((r) => (
                <a
                  key={r.path}
                  class={`rpc${r.path === selectedPath ? " active" : ""}`}
                  data-rpc={r.path}
                  {...linkProps(`/explorer?rpc=${encodeURIComponent(r.path)}`)}
                >
                  {r.method}
                  {r.edge && <span class="badge edge">edge</span>}
                  {r.anonymous && <span class="badge">public</span>}
                  {r.kind !== "unary" && <span class="badge">{r.kind.replace("_", " ")}</span>}
                </a>
              ))}
            </div>
          ))}
        </div>
        {rpc && list.data ? (
          <RpcPanel key={rpc.path} rpc={rpc} identities={list.data.identities} />
        ) : (
          <p class="muted">Pick an RPC.</p>
        )}
      </div>
    </section>
  );
}

function RpcPanel(props: { rpc: RpcInfo; identities: string[] }) {
  const { rpc } = props;
  const schemas = useApi<Record<string, MessageSchema>>(`/api/schemas/${rpc.input}`);
  const [via, setVia] = useState<"edge" | "mesh">(rpc.edge ? "edge" : "mesh");
  const [identity, setIdentity] = useState(props.identities.find((i) => i === "gateway") ?? props.identities[0] ?? "");
  const [token, setToken] = useState(sessionStorage.getItem(tokenKey) ?? "");
  const [body, setBody] = useState<Record<string, unknown>>({});
  const [result, setResult] = useState<CallResult | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [calling, setCalling] = useState(false);
  useEffect(() => sessionStorage.setItem(tokenKey, token), [token]);
  const call = async () => {
    setCalling(true);
    setError(undefined);
    try {
      setResult(
        await api<CallResult>("/api/call", {
          method: "POST",
          body: JSON.stringify({ path: rpc.path, body, via, token: token || undefined, identity }),
        }),
      );
    } catch (e) {
      setResult(undefined);
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setCalling(false);
    }
  };
  const found = result?.ok ? findToken(result.response) : undefined;
  return (
    <div class="rpc-panel">
      <h2 class="mono">{rpc.path}</h2>
      <p class="small muted">
        {rpc.input} → {rpc.output}
        {rpc.http && ` · ${rpc.http.verb.toUpperCase()} ${rpc.http.path}`}
      </p>
      <div class="call-options">
        <label>
          <input
            type="radio"
            name="via"
            value="edge"
            checked={via === "edge"}
            disabled={!rpc.edge}
            onChange={() => setVia("edge")}
          />{" "}
          through the edge
        </label>
        <label>
          <input type="radio" name="via" value="mesh" checked={via === "mesh"} onChange={() => setVia("mesh")} /> over
          mTLS as
        </label>
        <select
          name="identity"
          value={identity}
          disabled={via !== "mesh"}
          onChange={(e) => setIdentity(e.currentTarget.value)}
        >
          {[...new Set([...props.identities, identity])].map((i) => (
            <option key={i}>{i}</option>
          ))}
        </select>
        <input
          name="identityCustom"
          placeholder="or another workload"
          class="small-input"
          disabled={via !== "mesh"}
          onChange={(e) => e.currentTarget.value && setIdentity(e.currentTarget.value.trim())}
        />
      </div>
      {via === "edge" && (
        <div class="token-row">
          <label>
            Bearer token {rpc.anonymous && <span class="muted small">(not needed: public RPC)</span>}
            <input
              name="token"
              class="mono"
              value={token}
              placeholder="sign in (call a login RPC) and press “use as token”"
              onInput={(e) => setToken(e.currentTarget.value.trim())}
            />
          </label>
          {token && (
            <button type="button" class="small-button" onClick={() => setToken("")}>
              sign out
            </button>
          )}
        </div>
      )}
      <div class="request">
        <div>
          <h3>Request</h3>
          {schemas.data ? (
            <MessageForm schemas={schemas.data} typeName={rpc.input} value={body as never} onChange={setBody} />
          ) : (
            <ErrorNote error={schemas.error} />
          )}
        </div>
        <div>
          <h3>As JSON</h3>
          <JsonArea
            value={body}
            onChange={(v) => setBody((v ?? {}) as Record<string, unknown>)}
            rows={12}
            name="requestJson"
          />
        </div>
      </div>
      <button type="button" class="primary" onClick={call} disabled={calling} name="call">
        {calling ? "Calling…" : "Call"}
      </button>
      <ErrorNote error={error} />
      {result && (
        <div class={`result ${result.ok ? "ok" : "failed"}`} data-result-code={result.code}>
          <div class="result-head">
            <span class={`badge ${result.ok ? "good" : "bad"}`}>{result.code}</span>
            {result.httpStatus !== undefined && <span class="muted small">HTTP {result.httpStatus}</span>}
            <span class="muted small">{ms(result.durationMs)}</span>
            <TraceLink traceId={result.traceId}>open trace</TraceLink>
            {found && (
              <button type="button" class="small-button" name="useToken" onClick={() => setToken(found)}>
                use as token
              </button>
            )}
          </div>
          {result.message && <p class="bad">{result.message}</p>}
          {result.response !== undefined && <Json value={result.response} />}
          {result.messages !== undefined && <Json value={result.messages} />}
          {result.details !== undefined && <Json value={result.details} />}
        </div>
      )}
    </div>
  );
}
