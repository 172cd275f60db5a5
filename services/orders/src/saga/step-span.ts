// One OpenTelemetry span per saga step the runner takes, in the trace of the PlaceOrder call that
// started the saga (its context is persisted with the saga row, since the runner works later and
// maybe on another replica). The upstream calls the step makes run inside the span, so their
// client spans are its children. The attributes are the contract the console's saga timeline reads
// (console/src/sagas/timeline.ts): saga.name, saga.id, saga.step, saga.compensation, saga.attempt,
// saga.outcome, saga.reason and saga.status.
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type { SagaState, SagaStep, StepResult } from "../domain/saga.ts";

const tracer = trace.getTracer("shop-orders");

/** Steps that undo an earlier one. */
const compensations = new Set<SagaStep>(["refund", "release", "restock"]);

export class SagaStepSpan {
  private readonly span: Span;
  private readonly context: Context;

  /** Starts the span of `state`'s current step of the order saga `orderId`. */
  constructor(orderId: string, state: SagaState, traceHeaders: Record<string, string>) {
    const parent = propagation.extract(ROOT_CONTEXT, traceHeaders);
    this.span = tracer.startSpan(
      `saga order ${state.step}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          "saga.name": "order",
          "saga.id": orderId,
          "saga.step": state.step,
          "saga.compensation": compensations.has(state.step),
          "saga.attempt": state.attempts + 1,
        },
      },
      parent,
    );
    this.context = trace.setSpan(parent, this.span);
  }

  /** Runs `work` (the step's upstream calls) as the span's children. */
  within<T>(work: () => Promise<T>): Promise<T> {
    return context.with(this.context, work);
  }

  /** What the step's call came to. A transient failure marks the span an error: the step failed. */
  result(result: StepResult): void {
    this.span.setAttribute("saga.outcome", result.kind);
    if (result.kind === "refused") this.span.setAttribute("saga.reason", result.reason);
    if (result.kind === "transient") {
      this.span.setAttribute("saga.reason", result.reason);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: result.message });
    }
  }

  /** A step given up without a call (cancelled by the customer, or past its deadline). */
  abandoned(reason: string): void {
    this.span.setAttribute("saga.reason", reason);
  }

  /**
   * Ends the span; `status` is the order's status once the step's outcome was persisted, or
   * undefined when it was not (the lease had lapsed and another runner owns the saga now).
   */
  end(status: string | undefined): void {
    if (status !== undefined) this.span.setAttribute("saga.status", status);
    this.span.end();
  }

  /** A step that threw (the database was unreachable…): nothing was persisted. */
  fail(error: unknown): void {
    this.span.recordException(error instanceof Error ? error : String(error));
    this.span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
    this.span.end();
  }
}
