// Spans → traces: the tree a waterfall draws and the one-line summary a trace list shows. Spans of
// one trace arrive from many processes, in any order and in several batches, so every function
// here works on whatever part of the trace has arrived: a span whose parent has not (yet) arrived
// is shown as a root rather than lost.
import type { SpanRecord } from "../otlp/model.ts";

export interface TraceSummary {
  traceId: string;
  startMs: number;
  durationMs: number;
  /** The root span's name (the earliest span without a known parent). */
  rootName: string;
  rootService: string;
  spanCount: number;
  errorCount: number;
  /** Every service that emitted a span, in order of first appearance. */
  services: string[];
}

export interface WaterfallRow {
  span: SpanRecord;
  depth: number;
  /** Milliseconds from the trace's start to the span's start. */
  offsetMs: number;
  /** True when the span names a parent that is not in the trace (yet). */
  orphan: boolean;
}

export interface AssembledTrace {
  summary: TraceSummary;
  /** Depth-first, children in start order: the rows of a waterfall. */
  rows: WaterfallRow[];
}

/** The roots of a trace: spans without a parent, and spans whose parent is missing. */
function rootsOf(spans: readonly SpanRecord[], ids: ReadonlySet<string>): SpanRecord[] {
  return spans.filter((span) => span.parentSpanId === undefined || !ids.has(span.parentSpanId));
}

const byStart = (a: SpanRecord, b: SpanRecord) => a.startMs - b.startMs || a.spanId.localeCompare(b.spanId);

export function summarizeTrace(spans: readonly SpanRecord[]): TraceSummary {
  if (spans.length === 0) throw new RangeError("a trace has at least one span");
  const ids = new Set(spans.map((s) => s.spanId));
  const roots = rootsOf(spans, ids).sort(
    // A true root beats an orphan that merely arrived first.
    (a, b) => Number(a.parentSpanId !== undefined) - Number(b.parentSpanId !== undefined) || byStart(a, b),
  );
  const root = roots[0] ?? [...spans].sort(byStart)[0]!;
  const start = Math.min(...spans.map((s) => s.startMs));
  const end = Math.max(...spans.map((s) => s.startMs + s.durationMs));
  const services: string[] = [];
  for (const span of [...spans].sort(byStart)) if (!services.includes(span.service)) services.push(span.service);
  return {
    traceId: root.traceId,
    startMs: start,
    durationMs: end - start,
    rootName: root.name,
    rootService: root.service,
    spanCount: spans.length,
    errorCount: spans.filter((s) => s.status === "error").length,
    services,
  };
}

export function assembleTrace(spans: readonly SpanRecord[]): AssembledTrace {
  const summary = summarizeTrace(spans);
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, SpanRecord[]>();
  for (const span of spans) {
    if (span.parentSpanId === undefined || !ids.has(span.parentSpanId)) continue;
    const siblings = children.get(span.parentSpanId) ?? [];
    siblings.push(span);
    children.set(span.parentSpanId, siblings);
  }
  const rows: WaterfallRow[] = [];
  const seen = new Set<string>();
  const visit = (span: SpanRecord, depth: number) => {
    if (seen.has(span.spanId)) return; // a malformed trace with a cycle, or a duplicated span id
    seen.add(span.spanId);
    rows.push({
      span,
      depth,
      offsetMs: span.startMs - summary.startMs,
      orphan: span.parentSpanId !== undefined && !ids.has(span.parentSpanId),
    });
    for (const child of (children.get(span.spanId) ?? []).sort(byStart)) visit(child, depth + 1);
  };
  for (const root of rootsOf(spans, ids).sort(byStart)) visit(root, 0);
  // Spans on a parent cycle have no root; show them rather than drop them.
  for (const span of [...spans].sort(byStart)) visit(span, 0);
  return { summary, rows };
}
