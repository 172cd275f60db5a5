// A saga as a timeline, found by its id. App-agnostic: any span carrying `saga.id` is a step of
// that saga, wherever and in whichever trace it ran. The attributes (set by the saga runner):
//
//   saga.name          the kind of saga ("order")
//   saga.id            its id (the order id)
//   saga.step          the step run: "reserve", "charge", "commit", "release", "refund", "restock"…
//   saga.compensation  true for a step that undoes an earlier one
//   saga.attempt       1 on the first try of the step
//   saga.outcome       "ok" | "refused" | "transient" (did not succeed, will be retried)
//   saga.reason        why it did not succeed (a stable reason such as CARD_DECLINED)
//   saga.status        the saga's status once the step's outcome was persisted (PENDING, CONFIRMED…)
import type { SpanRecord } from "../otlp/model.ts";

export interface SagaStep {
  timeMs: number;
  durationMs: number;
  name: string;
  step: string;
  compensation: boolean;
  attempt: number | undefined;
  outcome: string | undefined;
  reason: string | undefined;
  status: string | undefined;
  service: string;
  error: boolean;
  traceId: string;
  spanId: string;
}

export interface SagaTimeline {
  sagaId: string;
  sagaName: string | undefined;
  /** The status after the latest step that reported one. */
  status: string | undefined;
  startMs: number | undefined;
  endMs: number | undefined;
  steps: SagaStep[];
  /** Every trace the saga ran in, in order of first step. */
  traceIds: string[];
}

export function sagaTimeline(sagaId: string, spans: readonly SpanRecord[]): SagaTimeline {
  const steps = spans
    .filter((s) => s.attributes["saga.id"] === sagaId)
    .sort((a, b) => a.startMs - b.startMs)
    .map((s): SagaStep => {
      const a = s.attributes;
      const text = (key: string) => (typeof a[key] === "string" && a[key] !== "" ? (a[key] as string) : undefined);
      return {
        timeMs: s.startMs,
        durationMs: s.durationMs,
        name: s.name,
        step: text("saga.step") ?? s.name,
        compensation: a["saga.compensation"] === true,
        attempt: typeof a["saga.attempt"] === "number" ? a["saga.attempt"] : undefined,
        outcome: text("saga.outcome"),
        reason: text("saga.reason"),
        status: text("saga.status"),
        service: s.service,
        error: s.status === "error",
        traceId: s.traceId,
        spanId: s.spanId,
      };
    });
  const withStatus = steps.filter((s) => s.status !== undefined);
  const last = steps.at(-1);
  const nameSpan = spans.find((s) => typeof s.attributes["saga.name"] === "string");
  return {
    sagaId,
    sagaName: nameSpan ? String(nameSpan.attributes["saga.name"]) : undefined,
    status: withStatus.at(-1)?.status,
    startMs: steps[0]?.timeMs,
    endMs: last ? last.timeMs + last.durationMs : undefined,
    steps,
    traceIds: [...new Set(steps.map((s) => s.traceId))],
  };
}
