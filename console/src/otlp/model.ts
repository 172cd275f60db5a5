// The console's own model of a span: what OTLP carries, flattened to plain JSON values so it can
// be stored, queried and sent to the browser without any protobuf types.

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

export type SpanKindName = "unspecified" | "internal" | "server" | "client" | "producer" | "consumer";
export type SpanStatus = "unset" | "ok" | "error";

export interface SpanEvent {
  name: string;
  timeMs: number;
  attributes: Attributes;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  attributes: Attributes;
}

export interface SpanRecord {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  /** Undefined for a root span. */
  parentSpanId: string | undefined;
  name: string;
  kind: SpanKindName;
  /** The resource's `service.name`: which process emitted the span. */
  service: string;
  /** Unix time in milliseconds, with microsecond precision. */
  startMs: number;
  durationMs: number;
  status: SpanStatus;
  statusMessage: string;
  attributes: Attributes;
  events: SpanEvent[];
  links: SpanLink[];
  /** The instrumentation scope (tracer name), e.g. `weft-mesh`. */
  scope: string;
}

/** OTLP's SpanKind enum, by number. */
export const spanKinds: readonly SpanKindName[] = [
  "unspecified",
  "internal",
  "server",
  "client",
  "producer",
  "consumer",
];

/** OTLP's Status.code enum, by number. */
export const spanStatuses: readonly SpanStatus[] = ["unset", "ok", "error"];

/** A unix time in nanoseconds (as OTLP carries it) in milliseconds, keeping microseconds. */
export function nanosToMs(nanos: bigint): number {
  return Number(nanos / 1000n) / 1000;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}
