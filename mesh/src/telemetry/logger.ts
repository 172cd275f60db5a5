import { createRequire } from "node:module";
import { isSpanContextValid, trace } from "@opentelemetry/api";
import pino, { type DestinationStream } from "pino";
import type PinoPretty from "pino-pretty";

export type Logger = pino.Logger;

export interface LoggerOptions {
  /** Written on every line so logs from many services can be told apart. */
  service: string;
  level?: string;
  /** Human-readable output for local development (`make up`); never in production. */
  pretty?: boolean;
  /** Where JSON lines go; stdout when omitted. Tests pass an in-memory stream. */
  destination?: DestinationStream;
}

/**
 * A pino logger writing one JSON object per line with `service`, and `trace_id` / `span_id` whenever
 * a valid OpenTelemetry span (sampled or not) is active, so a log line can be joined to its trace.
 * Callers add `request_id` with `logger.child({ request_id })`.
 */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.pretty ? prettyStream(options.destination) : options.destination;
  return pino(
    {
      level: options.level ?? "info",
      // pid/hostname are left out: the platform (pod metadata) attaches them, and lines stay short.
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names rather than pino's numbers, so non-pino tooling can filter on them.
      formatters: { level: (label) => ({ level: label }) },
      mixin: traceFields,
    },
    destination,
  );
}

/** Called by pino for every line: cheap when no span is active (one context lookup). */
function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/**
 * pino-pretty is a development-only dependency: it is required here, on demand, so a production
 * image that never sets `pretty` does not need it installed. It formats in-process, which is fine
 * for the local developer loop it exists for.
 */
function prettyStream(destination: DestinationStream | undefined): DestinationStream {
  const require = createRequire(import.meta.url);
  const pretty = require("pino-pretty") as typeof PinoPretty;
  return pretty({ destination: destination ?? 1, colorize: destination === undefined, sync: true });
}
