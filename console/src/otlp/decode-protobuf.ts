// Decodes OTLP/protobuf ExportTraceServiceRequest bodies (opentelemetry-proto's trace/v1 and
// common/v1 messages). The OpenTelemetry JS packages only encode requests, so the few messages a
// receiver reads are walked here with protobuf-es's wire reader; unknown fields are skipped, as
// any protobuf parser would, so newer exporters stay readable.
import { BinaryReader, type WireType } from "@bufbuild/protobuf/wire";
import {
  type Attributes,
  type AttributeValue,
  hex,
  nanosToMs,
  type SpanEvent,
  type SpanLink,
  type SpanRecord,
  spanKinds,
  spanStatuses,
} from "./model.ts";

/** Every span of an ExportTraceServiceRequest, each with its resource's service.name. */
export function decodeTraceRequest(body: Uint8Array): SpanRecord[] {
  const spans: SpanRecord[] = [];
  each(body, (field, reader) => {
    if (field === 1) spans.push(...resourceSpans(reader.bytes()));
    else return false;
  });
  return spans;
}

type FieldVisitor = (field: number, reader: BinaryReader, wireType: WireType) => boolean | undefined;

/** Calls `visit` for each field; a visitor that returns false has not read it, so it is skipped. */
function each(bytes: Uint8Array, visit: FieldVisitor): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (visit(field, reader, wireType) === false) reader.skip(wireType, field);
  }
}

function resourceSpans(bytes: Uint8Array): SpanRecord[] {
  let resource: Attributes = {};
  const scopes: Uint8Array[] = [];
  each(bytes, (field, reader) => {
    if (field === 1) resource = attributesOf(reader.bytes(), 1);
    else if (field === 2) scopes.push(reader.bytes());
    else return false;
  });
  const service = typeof resource["service.name"] === "string" ? resource["service.name"] : "unknown_service";
  return scopes.flatMap((scope) => scopeSpans(scope, service));
}

function scopeSpans(bytes: Uint8Array, service: string): SpanRecord[] {
  let scope = "";
  const spans: Uint8Array[] = [];
  each(bytes, (field, reader) => {
    if (field === 1) {
      each(reader.bytes(), (f, r) => {
        if (f === 1) scope = r.string();
        else return false;
      });
    } else if (field === 2) spans.push(reader.bytes());
    else return false;
  });
  return spans.map((span) => spanOf(span, service, scope));
}

function spanOf(bytes: Uint8Array, service: string, scope: string): SpanRecord {
  let traceId = "";
  let spanId = "";
  let parentSpanId = "";
  let name = "";
  let kind = 0;
  let start = 0n;
  let end = 0n;
  const attributes: Attributes = {};
  const events: SpanEvent[] = [];
  const links: SpanLink[] = [];
  let status = 0;
  let statusMessage = "";
  each(bytes, (field, reader) => {
    switch (field) {
      case 1:
        traceId = hex(reader.bytes());
        break;
      case 2:
        spanId = hex(reader.bytes());
        break;
      case 4:
        parentSpanId = hex(reader.bytes());
        break;
      case 5:
        name = reader.string();
        break;
      case 6:
        kind = reader.int32();
        break;
      case 7:
        start = BigInt(reader.fixed64());
        break;
      case 8:
        end = BigInt(reader.fixed64());
        break;
      case 9:
        addKeyValue(attributes, reader.bytes());
        break;
      case 11:
        events.push(eventOf(reader.bytes()));
        break;
      case 13:
        links.push(linkOf(reader.bytes()));
        break;
      case 15:
        each(reader.bytes(), (f, r) => {
          if (f === 2) statusMessage = r.string();
          else if (f === 3) status = r.int32();
          else return false;
        });
        break;
      default:
        return false;
    }
  });
  const startMs = nanosToMs(start);
  return {
    traceId,
    spanId,
    parentSpanId: parentSpanId === "" || /^0+$/.test(parentSpanId) ? undefined : parentSpanId,
    name,
    kind: spanKinds[kind] ?? "unspecified",
    service,
    startMs,
    durationMs: Math.max(0, nanosToMs(end) - startMs),
    status: spanStatuses[status] ?? "unset",
    statusMessage,
    attributes,
    events,
    links,
    scope,
  };
}

function eventOf(bytes: Uint8Array): SpanEvent {
  let time = 0n;
  let name = "";
  const attributes: Attributes = {};
  each(bytes, (field, reader) => {
    if (field === 1) time = BigInt(reader.fixed64());
    else if (field === 2) name = reader.string();
    else if (field === 3) addKeyValue(attributes, reader.bytes());
    else return false;
  });
  return { name, timeMs: nanosToMs(time), attributes };
}

function linkOf(bytes: Uint8Array): SpanLink {
  let traceId = "";
  let spanId = "";
  const attributes: Attributes = {};
  each(bytes, (field, reader) => {
    if (field === 1) traceId = hex(reader.bytes());
    else if (field === 2) spanId = hex(reader.bytes());
    else if (field === 4) addKeyValue(attributes, reader.bytes());
    else return false;
  });
  return { traceId, spanId, attributes };
}

/** The KeyValue entries at `field` of a message (Resource.attributes is field 1). */
function attributesOf(bytes: Uint8Array, field: number): Attributes {
  const attributes: Attributes = {};
  each(bytes, (f, reader) => {
    if (f === field) addKeyValue(attributes, reader.bytes());
    else return false;
  });
  return attributes;
}

function addKeyValue(into: Attributes, bytes: Uint8Array): void {
  let key = "";
  let value: AttributeValue = null;
  each(bytes, (field, reader) => {
    if (field === 1) key = reader.string();
    else if (field === 2) value = anyValue(reader.bytes());
    else return false;
  });
  into[key] = value;
}

function anyValue(bytes: Uint8Array): AttributeValue {
  let value: AttributeValue = null;
  each(bytes, (field, reader) => {
    switch (field) {
      case 1:
        value = reader.string();
        break;
      case 2:
        value = reader.bool();
        break;
      case 3:
        value = safeInteger(BigInt(reader.int64()));
        break;
      case 4:
        value = reader.double();
        break;
      case 5: {
        const values: AttributeValue[] = [];
        each(reader.bytes(), (f, r) => {
          if (f === 1) values.push(anyValue(r.bytes()));
          else return false;
        });
        value = values;
        break;
      }
      case 6: {
        const entries: Attributes = {};
        each(reader.bytes(), (f, r) => {
          if (f === 1) addKeyValue(entries, r.bytes());
          else return false;
        });
        value = entries;
        break;
      }
      case 7:
        value = Buffer.from(reader.bytes()).toString("base64");
        break;
      default:
        return false;
    }
  });
  return value;
}

/** int64 attributes as numbers when exact, else as their decimal string. */
export function safeInteger(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}
