// Decodes OTLP/JSON ExportTraceServiceRequest bodies: proto3 JSON with the OTLP exceptions (trace
// and span ids in hex, not base64; enums as numbers, though names are accepted too).
import { safeInteger } from "./decode-protobuf.ts";
import {
  type Attributes,
  type AttributeValue,
  type SpanEvent,
  type SpanKindName,
  type SpanLink,
  type SpanRecord,
  type SpanStatus,
  spanKinds,
  spanStatuses,
} from "./model.ts";

export class OtlpJsonError extends Error {}

type Json = Record<string, unknown>;

export function decodeTraceRequestJson(body: unknown): SpanRecord[] {
  const request = object(body, "request");
  const spans: SpanRecord[] = [];
  for (const rs of array(request.resourceSpans)) {
    const resourceSpans = object(rs, "resourceSpans[]");
    const resource = attributes(object(resourceSpans.resource ?? {}, "resource").attributes);
    const service = typeof resource["service.name"] === "string" ? resource["service.name"] : "unknown_service";
    for (const ss of array(resourceSpans.scopeSpans)) {
      const scopeSpans = object(ss, "scopeSpans[]");
      const scopeName = String(object(scopeSpans.scope ?? {}, "scope").name ?? "");
      for (const s of array(scopeSpans.spans)) spans.push(spanOf(object(s, "span"), service, scopeName));
    }
  }
  return spans;
}

function spanOf(span: Json, service: string, scope: string): SpanRecord {
  const traceId = id(span.traceId, 32, "traceId");
  const spanId = id(span.spanId, 16, "spanId");
  const parent =
    span.parentSpanId === undefined || span.parentSpanId === "" ? "" : id(span.parentSpanId, 16, "parentSpanId");
  const startMs = nanosMs(span.startTimeUnixNano);
  const status = object(span.status ?? {}, "status");
  return {
    traceId,
    spanId,
    parentSpanId: parent === "" || /^0+$/.test(parent) ? undefined : parent,
    name: String(span.name ?? ""),
    kind: enumValue<SpanKindName>(span.kind, spanKinds, "SPAN_KIND_"),
    service,
    startMs,
    durationMs: Math.max(0, nanosMs(span.endTimeUnixNano) - startMs),
    status: enumValue<SpanStatus>(status.code, spanStatuses, "STATUS_CODE_"),
    statusMessage: String(status.message ?? ""),
    attributes: attributes(span.attributes),
    events: array(span.events).map((e): SpanEvent => {
      const event = object(e, "event");
      return {
        name: String(event.name ?? ""),
        timeMs: nanosMs(event.timeUnixNano),
        attributes: attributes(event.attributes),
      };
    }),
    links: array(span.links).map((l): SpanLink => {
      const link = object(l, "link");
      return {
        traceId: id(link.traceId, 32, "link.traceId"),
        spanId: id(link.spanId, 16, "link.spanId"),
        attributes: attributes(link.attributes),
      };
    }),
    scope,
  };
}

function attributes(list: unknown): Attributes {
  const result: Attributes = {};
  for (const kv of array(list)) {
    const entry = object(kv, "attribute");
    result[String(entry.key ?? "")] = anyValue(entry.value);
  }
  return result;
}

function anyValue(value: unknown): AttributeValue {
  if (value === undefined || value === null) return null;
  const v = object(value, "value");
  if ("stringValue" in v) return String(v.stringValue);
  if ("boolValue" in v) return Boolean(v.boolValue);
  if ("intValue" in v) return safeInteger(BigInt(v.intValue as string | number));
  if ("doubleValue" in v) return Number(v.doubleValue);
  if ("bytesValue" in v) return String(v.bytesValue);
  if ("arrayValue" in v) return array(object(v.arrayValue, "arrayValue").values).map(anyValue);
  if ("kvlistValue" in v) return attributes(object(v.kvlistValue, "kvlistValue").values);
  return null;
}

function enumValue<T extends string>(value: unknown, names: readonly T[], prefix: string): T {
  if (typeof value === "number") return names[value] ?? names[0]!;
  if (typeof value === "string") {
    const name = value.replace(prefix, "").toLowerCase();
    return names.find((n) => n === name) ?? names[0]!;
  }
  return names[0]!;
}

function nanosMs(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== "string" && typeof value !== "number") throw new OtlpJsonError("time is not an integer");
  try {
    return Number(BigInt(value) / 1000n) / 1000;
  } catch {
    throw new OtlpJsonError(`time is not an integer: ${String(value)}`);
  }
}

function id(value: unknown, length: number, what: string): string {
  if (typeof value !== "string" || !new RegExp(`^[0-9a-fA-F]{${length}}$`).test(value)) {
    throw new OtlpJsonError(`${what} must be ${length} hex digits`);
  }
  return value.toLowerCase();
}

function object(value: unknown, what: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new OtlpJsonError(`${what} is not an object`);
  return value as Json;
}

function array(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new OtlpJsonError("expected an array");
  return value;
}
