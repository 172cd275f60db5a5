import { render } from "preact";
import "./styles.css";
import { useApi } from "./api.ts";
import { linkProps, useLocation } from "./router.ts";
import { EventsView } from "./views/events.tsx";
import { ExplorerView } from "./views/explorer.tsx";
import { LogsView } from "./views/logs.tsx";
import { PolicyView } from "./views/policy.tsx";
import { SagasView } from "./views/sagas.tsx";
import { TopologyView } from "./views/topology.tsx";
import { TracesView } from "./views/traces.tsx";
import { TrafficView } from "./views/traffic.tsx";

const views = [
  { path: "/topology", label: "Topology", view: TopologyView },
  { path: "/traffic", label: "Traffic", view: TrafficView },
  { path: "/traces", label: "Traces", view: TracesView },
  { path: "/policy", label: "Policy", view: PolicyView },
  { path: "/events", label: "Events", view: EventsView },
  { path: "/sagas", label: "Sagas", view: SagasView },
  { path: "/explorer", label: "API explorer", view: ExplorerView },
  { path: "/logs", label: "Logs", view: LogsView },
] as const;

interface Overview {
  app?: { name: string; namespace: string };
  counts: { traces: number; spans: number; logs: number; decisions: number };
  otlp: { http: string };
}

function App() {
  const { path } = useLocation();
  const current = views.find((v) => path === v.path || path.startsWith(`${v.path}/`)) ?? views[0];
  const overview = useApi<Overview>("/api/overview", 5_000);
  const View = current.view;
  return (
    <div class="shell">
      <nav class="nav">
        <div class="brand">
          <span class="logo">weft</span> console
          {overview.data?.app && <div class="app-name">{overview.data.app.name}</div>}
        </div>
        {views.map((v) => (
          <a key={v.path} class={v === current ? "active" : ""} data-view={v.path.slice(1)} {...linkProps(v.path)}>
            {v.label}
          </a>
        ))}
        {overview.data && (
          <div class="nav-foot">
            {overview.data.counts.traces} traces · {overview.data.counts.logs} log lines
            <br />
            OTLP {overview.data.otlp.http}
          </div>
        )}
      </nav>
      <main class="main">
        <View />
      </main>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
