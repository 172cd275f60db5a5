import { useMemo, useState } from "preact/hooks";
import { type Topology, type TopologyEdge, type TopologyNode, useApi, useLive } from "../api.ts";
import { clickable, ErrorNote, Health } from "../components/bits.tsx";
import { ms, percent, rate, shortMethod } from "../format.ts";

const nodeWidth = 160;
const nodeHeight = 52;
const columnGap = 310;
const rowGap = 128;

interface Placed extends TopologyNode {
  x: number;
  y: number;
}

/**
 * Layered layout: the gateway first, each service one column right of its furthest caller, NATS
 * after the last service, each database under its service, unknown callers under the gateway.
 */
function layout(topology: Topology): Placed[] {
  const rank = new Map<string, number>();
  const calls = topology.edges.filter((e) => e.kind === "call" && e.declared);
  const kindOf = new Map(topology.nodes.map((n) => [n.id, n.kind]));
  for (const node of topology.nodes) if (node.kind === "gateway" || node.kind === "external") rank.set(node.id, 0);
  for (const node of topology.nodes) if (node.kind === "service" && !rank.has(node.id)) rank.set(node.id, 1);
  // Longest path over declared calls; bounded by the node count so a call cycle cannot loop.
  for (let i = 0; i < topology.nodes.length; i++) {
    for (const e of calls) {
      if (kindOf.get(e.to) !== "service") continue;
      const next = Math.max(rank.get(e.to) ?? 1, (rank.get(e.from) ?? 0) + 1);
      if (next <= topology.nodes.length) rank.set(e.to, next);
    }
  }
  const lastService = Math.max(
    1,
    ...[...rank.entries()].filter(([id]) => kindOf.get(id) === "service").map(([, r]) => r),
  );
  const columns = new Map<number, TopologyNode[]>();
  for (const node of topology.nodes) {
    if (node.kind === "database") continue;
    const r = node.kind === "broker" ? lastService + 1 : (rank.get(node.id) ?? 0);
    columns.set(r, [...(columns.get(r) ?? []), node]);
  }
  const placed: Placed[] = [];
  const tallest = Math.max(...[...columns.values()].map((c) => c.length));
  for (const [r, nodes] of columns) {
    nodes.sort((a, b) => Number(a.kind === "external") - Number(b.kind === "external") || a.id.localeCompare(b.id));
    const offset = ((tallest - nodes.length) * rowGap) / 2;
    for (const [i, node] of nodes.entries())
      placed.push({ ...node, x: 30 + r * columnGap, y: 30 + offset + i * rowGap });
  }
  for (const node of topology.nodes) {
    if (node.kind !== "database") continue;
    const owner = placed.find((p) => `db:${p.id}` === node.id);
    if (owner) placed.push({ ...node, x: owner.x + 20, y: owner.y + nodeHeight + 14 });
  }
  return placed;
}

function edgeClass(edge: TopologyEdge): string {
  const classes = ["edge", `edge-${edge.kind}`];
  if (!edge.declared) classes.push("undeclared");
  if (edge.denies > 0) classes.push("denied");
  else if (edge.errorRatio > 0) classes.push("failing");
  else if (edge.rate > 0) classes.push("active");
  return classes.join(" ");
}

function EdgePath(props: { edge: TopologyEdge; from: Placed; to: Placed; onSelect: () => void }) {
  const { edge, from, to } = props;
  const small = (n: Placed) => (n.kind === "database" ? { w: nodeWidth - 40, h: 30 } : { w: nodeWidth, h: nodeHeight });
  let d: string;
  let mid: [number, number];
  if (edge.kind === "data") {
    const x = from.x + nodeWidth / 2;
    d = `M${x},${from.y + nodeHeight} L${x},${to.y}`;
    mid = [x, to.y];
  } else {
    const forward = to.x > from.x;
    const sx = forward ? from.x + small(from).w : from.x;
    const tx = forward ? to.x : to.x + small(to).w;
    const sy = from.y + small(from).h / 2;
    const ty = to.y + small(to).h / 2;
    const bend = Math.max(60, Math.abs(tx - sx) / 2);
    const c1 = forward ? sx + bend : sx - bend;
    const c2 = forward ? tx - bend : tx + bend;
    d = `M${sx},${sy} C${c1},${sy} ${c2},${ty} ${tx},${ty}`;
    mid = [(sx + tx) / 2, (sy + ty) / 2];
  }
  const label = [
    edge.rate > 0 ? rate(edge.rate) : "",
    edge.errorRatio > 0 ? `${percent(edge.errorRatio)} err` : "",
    edge.denies > 0 ? `${edge.denies} denied` : "",
  ]
    .filter(Boolean)
    .join(" · ");
  return (
    <g class={edgeClass(edge)} {...clickable(props.onSelect)} data-edge={`${edge.from}->${edge.to}`}>
      <path d={d} marker-end="url(#arrow)" />
      <path d={d} class="edge-hit" />
      {label && (
        <text x={mid[0]} y={mid[1] - 6} text-anchor="middle" class="edge-label">
          {label}
        </text>
      )}
      <title>{`${edge.from} → ${edge.to} (${edge.kind}${edge.declared ? "" : ", not declared"})\n${edge.labels.map((l) => (l.startsWith("/") ? shortMethod(l) : l)).join("\n")}`}</title>
    </g>
  );
}

function NodeBox(props: { node: Placed; selected: boolean; onSelect: () => void }) {
  const { node } = props;
  const db = node.kind === "database";
  const w = db ? nodeWidth - 40 : nodeWidth;
  const h = db ? 30 : nodeHeight;
  return (
    <g
      class={`node node-${node.kind} health-${node.health.toLowerCase()}${props.selected ? " selected" : ""}`}
      transform={`translate(${node.x},${node.y})`}
      {...clickable(props.onSelect)}
      data-node={node.id}
    >
      <rect width={w} height={h} rx={db ? 12 : 8} />
      {node.kind !== "database" && node.kind !== "broker" && <circle class="dot" cx={14} cy={16} r={5} />}
      <text x={db ? w / 2 : 26} y={db ? 19 : 20} text-anchor={db ? "middle" : "start"} class="node-label">
        {node.label}
      </text>
      {!db && (
        <text x={14} y={40} class="node-stats">
          {node.kind === "broker"
            ? "JetStream"
            : `${rate(node.rate)} · ${percent(node.errorRatio)} · p99 ${ms(node.p99Ms)}`}
        </text>
      )}
    </g>
  );
}

export function TopologyView() {
  const { data, error, reload } = useApi<Topology>("/api/topology", 2_000);
  useLive((event) => event === "health" && reload());
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const placed = useMemo(() => (data ? layout(data) : []), [data]);
  const byId = new Map(placed.map((p) => [p.id, p]));
  const width = Math.max(600, ...placed.map((p) => p.x + nodeWidth + 40));
  const height = Math.max(300, ...placed.map((p) => p.y + nodeHeight + 60));
  const node = selected ? data?.nodes.find((n) => n.id === selected) : undefined;
  const edges = selected ? (data?.edges ?? []).filter((e) => e.from === selected || e.to === selected) : [];
  return (
    <section>
      <header class="view-head">
        <h1>Topology</h1>
        <p class="hint">
          Declared calls and events from the manifests, with the last minute's traffic. Dashed: not declared. Red:
          denied.
        </p>
      </header>
      <ErrorNote error={error} />
      <div class="topology-wrap">
        <svg class="topology" width={width} height={height} role="img" aria-label="service topology">
          <defs>
            <marker
              id="arrow"
              viewBox="0 0 10 10"
              refX="9"
              refY="5"
              markerWidth="7"
              markerHeight="7"
              orient="auto-start-reverse"
            >
              <path d="M0,0 L10,5 L0,10 z" class="arrow" />
            </marker>
          </defs>
          {data?.edges.map((edge) => {
            const from = byId.get(edge.from);
            const to = byId.get(edge.to);
            return from && to ? (
              <EdgePath
                key={`${edge.kind}${edge.from}${edge.to}`}
                edge={edge}
                from={from}
                to={to}
                onSelect={() => setSelected(edge.from)}
              />
            ) : null;
          })}
          {placed.map((p) => (
            <NodeBox key={p.id} node={p} selected={p.id === selected} onSelect={() => setSelected(p.id)} />
          ))}
        </svg>
        {node && (
          <aside class="panel">
            <h2>{node.label}</h2>
            <p>
              <Health state={node.health} /> <span class="muted">{node.kind}</span>
            </p>
            <dl class="facts">
              <dt>rate</dt>
              <dd>{rate(node.rate)}</dd>
              <dt>errors</dt>
              <dd>{percent(node.errorRatio)}</dd>
              <dt>p99</dt>
              <dd>{ms(node.p99Ms)}</dd>
            </dl>
            <h3>Edges</h3>
            <ul class="plain">
              {edges.map((e) => (
                <li key={`${e.kind}${e.from}${e.to}`}>
                  {e.from} → {e.to} <span class="muted">{e.kind}</span>{" "}
                  {e.denies > 0 && <span class="bad">{e.denies} denied</span>}
                  <div class="muted small">
                    {e.labels.map((l) => (l.startsWith("/") ? shortMethod(l) : l)).join(", ")}
                  </div>
                </li>
              ))}
            </ul>
          </aside>
        )}
      </div>
    </section>
  );
}
