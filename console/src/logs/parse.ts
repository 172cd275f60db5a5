// One process output line → a log record. Weft's processes write pino JSON (level names, ISO
// time, service, trace_id, span_id, request_id); anything else (nats-server, a crash trace) is
// kept as text with a level guessed from its stream and common markers.

export const logLevels = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
export type LogLevel = (typeof logLevels)[number];

export interface LogRecord {
  /** Assigned by the store; increases with arrival. */
  id: number;
  timeMs: number;
  /** The launcher's name for the process (`orders`, `gateway`, `nats`). */
  process: string;
  level: LogLevel;
  msg: string;
  traceId: string | undefined;
  spanId: string | undefined;
  requestId: string | undefined;
  /** The line's other fields (JSON lines), for the detail view. */
  fields: Record<string, unknown>;
}

const pinoNumeric: Record<number, LogLevel> = {
  10: "trace",
  20: "debug",
  30: "info",
  40: "warn",
  50: "error",
  60: "fatal",
};
const textMarkers: ReadonlyArray<[RegExp, LogLevel]> = [
  [/\[(FTL|FATAL)\]/, "fatal"],
  [/\[(ERR|ERROR)\]|^Error\b|\bError:/, "error"],
  [/\[(WRN|WARN)\]/, "warn"],
  [/\[(DBG|DEBUG)\]/, "debug"],
  [/\[(TRC|TRACE)\]/, "trace"],
];
const known = new Set(["level", "time", "msg", "trace_id", "span_id", "request_id", "service"]);

export function parseLogLine(
  process: string,
  line: string,
  stream: "stdout" | "stderr" = "stdout",
  nowMs = Date.now(),
): Omit<LogRecord, "id"> {
  const trimmed = line.trim();
  if (trimmed.startsWith("{")) {
    try {
      const value: unknown = JSON.parse(trimmed);
      if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        return fromJson(process, value as Record<string, unknown>, nowMs);
      }
    } catch {
      // not JSON after all: kept as text
    }
  }
  const marked = textMarkers.find(([pattern]) => pattern.test(line))?.[1];
  return {
    timeMs: nowMs,
    process,
    level: marked ?? (stream === "stderr" ? "warn" : "info"),
    msg: line,
    traceId: undefined,
    spanId: undefined,
    requestId: undefined,
    fields: {},
  };
}

function fromJson(process: string, json: Record<string, unknown>, nowMs: number): Omit<LogRecord, "id"> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) if (!known.has(key)) fields[key] = value;
  return {
    timeMs: timeOf(json.time) ?? nowMs,
    process,
    level: levelOf(json.level),
    msg: typeof json.msg === "string" ? json.msg : "",
    traceId: hexId(json.trace_id, 32),
    spanId: hexId(json.span_id, 16),
    requestId: typeof json.request_id === "string" ? json.request_id : undefined,
    fields,
  };
}

function levelOf(level: unknown): LogLevel {
  if (typeof level === "number") return pinoNumeric[level] ?? (level >= 50 ? "error" : "info");
  if (typeof level === "string" && (logLevels as readonly string[]).includes(level)) return level as LogLevel;
  return "info";
}

function timeOf(time: unknown): number | undefined {
  if (typeof time === "number") return time;
  if (typeof time === "string") {
    const ms = Date.parse(time);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function hexId(value: unknown, length: number): string | undefined {
  return typeof value === "string" && value.length === length && /^[0-9a-f]+$/.test(value) ? value : undefined;
}
