import { status } from "@grpc/grpc-js";
import { type Context, context, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { isServerFailure } from "../rpc/status-classes.ts";
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

const tracerName = "weft-mesh";

/** The API's Span does not expose its kind, and the status rules depend on it. */
const sides = new WeakMap<Span, RpcSide>();

/**
 * Starts (without activating) the span of one RPC, named "<service>/<method>" as OTel's RPC
 * conventions ask. The parent is `parent`, else the active context: on the server pass the context
 * extracted from the incoming metadata.
 */
export function startRpcSpan(side: RpcSide, method: RpcSpanMethod, parent: Context = context.active()): Span {
  const span = trace.getTracer(tracerName).startSpan(
    `${method.service}/${method.name}`,
    {
      kind: side === "server" ? SpanKind.SERVER : SpanKind.CLIENT,
      attributes: { "rpc.system": "grpc", "rpc.service": method.service, "rpc.method": method.name },
    },
    parent,
  );
  sides.set(span, side);
  return span;
}

/**
 * Records the outcome and ends the span. Spans not made by `startRpcSpan` get the client rule
 * (any non-OK code is an error). Success leaves the status unset, as OTel instrumentations do.
 */
export function endRpcSpan(span: Span, code: number, error?: unknown): void {
  span.setAttribute("rpc.grpc.status_code", code);
  if (error !== undefined) span.recordException(asException(error));
  const side = sides.get(span) ?? "client";
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
