import type { ComponentChildren } from "preact";
import { linkProps } from "../router.ts";

/** A small line chart of a series; hand-drawn SVG, since the console draws only these. */
export function Sparkline(props: {
  values: Array<number | undefined>;
  width?: number;
  height?: number;
  color?: string;
  label: string;
}) {
  const width = props.width ?? 120;
  const height = props.height ?? 28;
  const values = props.values.map((v) => v ?? 0);
  const max = Math.max(...values, 1e-9);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`)
    .join(" ");
  return (
    <svg class="spark" width={width} height={height} role="img" aria-label={props.label}>
      <polyline points={points} fill="none" stroke={props.color ?? "var(--accent)"} stroke-width="1.5" />
    </svg>
  );
}

export function TraceLink(props: { traceId: string | undefined; children?: ComponentChildren }) {
  if (!props.traceId) return null;
  return (
    <a class="trace-link mono" {...linkProps(`/traces/${props.traceId}`)} title="open the trace">
      {props.children ?? props.traceId.slice(0, 12)}
    </a>
  );
}

export function Json(props: { value: unknown }) {
  return <pre class="json">{JSON.stringify(props.value, null, 2)}</pre>;
}

export function Health(props: { state: string }) {
  return (
    <span class={`health health-${props.state.toLowerCase()}`} title={props.state}>
      {props.state}
    </span>
  );
}

export function ErrorNote(props: { error: string | undefined }) {
  return props.error ? <p class="error-note">{props.error}</p> : null;
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="empty">{props.children}</p>;
}

/** Makes a non-button element clickable by mouse and keyboard alike (Enter or Space). */
export function clickable(action: () => void) {
  return {
    role: "button" as const,
    tabIndex: 0,
    onClick: action,
    onKeyDown: (event: KeyboardEvent) => {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      action();
    },
  };
}
