import { status } from "@grpc/grpc-js";
import {
  type Attributes,
  type Context,
  context,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { isServerFailure } from "../rpc/status-classes.ts";
import { alwaysSampled, meshTracer, meshTracerName, sampledParent } from "./sampling.ts";
import { statusName } from "./status.ts";

export type RpcSide = "server" | "client";

export interface RpcSpanMethod {
  /** Fully-qualified proto service, e.g. "example.billing.v1.InvoiceService". */
  service: string;
  /** Method name, e.g. "SendInvoice". */
  name: string;
  /** HTTP/2 path, "/<service>/<name>". */
  path: string;
}

/** The API's Span does not expose its kind, and the status rules depend on it. */
const sides = new WeakMap<Span, RpcSide>();

/**
 * Starts (without activating) the span of one RPC, named "<service>/<method>" as OTel's RPC
 * conventions ask. The parent is `parent`, else the active context: on the server pass the context
 * extracted from the incoming metadata.
 */
export function startRpcSpan(side: RpcSide, method: RpcSpanMethod, parent: Context = context.active()): Span {
  const template = new RpcSpanTemplate(side, method);
  const span = trace.getTracer(meshTracerName).startSpan(template.name, template.options, parent);
  span.setAttributes(template.attributes);
  sides.set(span, side);
  return span;
}

/**
 * The constant parts of one method's spans on one side (name, kind, attributes), built once, so
 * that a call allocates only its span, and an unsampled call nothing.
 */
export class RpcSpanTemplate {
  readonly name: string;
  readonly options: SpanOptions;
  /**
   * Set on the started span rather than passed in `options`: the SDK sanitizes start attributes
   * twice (before and after sampling), which made more garbage per call than setting them; no
   * sampler the mesh installs looks at attributes.
   */
  readonly attributes: Attributes;

  constructor(
    readonly side: RpcSide,
    method: RpcSpanMethod,
  ) {
    this.name = `${method.service}/${method.name}`;
    this.options = { kind: side === "server" ? SpanKind.SERVER : SpanKind.CLIENT };
    this.attributes = { "rpc.system": "grpc", "rpc.service": method.service, "rpc.method": method.name };
  }

  /** The call's span under `parent`, started; undefined when the call is not sampled. */
  start(parent: Context): Span | undefined {
    const tracer = meshTracer();
    if (tracer === undefined) return undefined;
    const under = sampledParent(parent);
    return under === undefined ? undefined : this.started(tracer, under);
  }

  /** The call's span under `parent`, sampled or not (a denied call is always traced); undefined without tracing. */
  startAlways(parent: Context): Span | undefined {
    const tracer = meshTracer();
    return tracer === undefined ? undefined : this.started(tracer, alwaysSampled(parent));
  }

  private started(tracer: Tracer, parent: Context): Span {
    return tracer.startSpan(this.name, this.options, parent).setAttributes(this.attributes);
  }

  /** Records the outcome and ends a span this template started. */
  end(span: Span, code: number, error?: unknown): void {
    endSpanOf(this.side, span, code, error);
  }
}

/**
 * Records the outcome and ends the span. Spans not made by `startRpcSpan` get the client rule
 * (any non-OK code is an error). Success leaves the status unset, as OTel instrumentations do.
 */
export function endRpcSpan(span: Span, code: number, error?: unknown): void {
  endSpanOf(sides.get(span) ?? "client", span, code, error);
}

function endSpanOf(side: RpcSide, span: Span, code: number, error: unknown): void {
  span.setAttribute("rpc.grpc.status_code", code);
  if (error !== undefined) span.recordException(asException(error));
  // Server side: only what the status table calls the server's failure, which is also OTel's
  // gRPC rule (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS): a
  // refused bad request is the server doing its job, and would drown real faults. Client side:
  // any non-OK code, as OTel's conventions ask — the call did not get what it needed.
  const failed = side === "server" ? isServerFailure(code) : code !== status.OK;
  if (failed) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : statusName(code) });
  }
  span.end();
}

function asException(error: unknown): Error | string {
  return error instanceof Error || typeof error === "string" ? error : String(error);
}
