// The console's bounded history: spans (with a summary row per trace), log lines and authorization
// decisions in one SQLite file under .data/console/, so restarting `weft dev` loses nothing recent.
// node:sqlite is synchronous and in-process: a write is microseconds, far below what a local mesh
// produces, and there is no server or native addon to install. Old rows are pruned past the bounds.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import type { AuthzDecision } from "../authz/decision.ts";
import type { LogLevel, LogRecord } from "../logs/parse.ts";
import { logLevels } from "../logs/parse.ts";
import type { SpanRecord } from "../otlp/model.ts";
import { summarizeTrace, type TraceSummary } from "../traces/assemble.ts";

export interface StoreBounds {
  /** Traces kept (the most recently updated); their spans go with them. */
  maxTraces: number;
  /** Spans kept per trace: a runaway loop should not fill the store with one trace. */
  maxSpansPerTrace: number;
  maxLogs: number;
  maxDecisions: number;
}

export const defaultBounds: StoreBounds = {
  maxTraces: 2_000,
  maxSpansPerTrace: 2_000,
  maxLogs: 50_000,
  maxDecisions: 10_000,
};

export interface TraceQuery {
  limit?: number;
  /** Traces in which this service emitted a span. */
  service?: string;
  errorsOnly?: boolean;
  /** Traces with a span whose name or attribute values contain this text (an order id, an email…). */
  text?: string;
  /** Traces that started before this time (paging back). */
  beforeMs?: number;
}

export interface LogQuery {
  limit?: number;
  /** Only lines with an id above this (live tailing). */
  afterId?: number;
  /** Only lines with an id below this (paging back). */
  beforeId?: number;
  /** This level and above. */
  minLevel?: LogLevel;
  process?: string;
  traceId?: string;
  text?: string;
}

export interface DecisionQuery {
  limit?: number;
  afterId?: number;
  decision?: "allow" | "deny";
  workload?: string;
}

export type StoredDecision = AuthzDecision & { id: number };

export class ConsoleStore {
  readonly #db: DatabaseSync;
  readonly bounds: StoreBounds;
  #writesSincePrune = 0;

  /** `path` is a file (created with its folder) or ":memory:". */
  constructor(path: string, bounds: Partial<StoreBounds> = {}) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path);
    this.bounds = { ...defaultBounds, ...bounds };
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS spans (
        trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_id TEXT, service TEXT NOT NULL,
        name TEXT NOT NULL, kind TEXT NOT NULL, start_ms REAL NOT NULL, duration_ms REAL NOT NULL,
        status TEXT NOT NULL, status_message TEXT NOT NULL, saga_id TEXT, doc TEXT NOT NULL,
        PRIMARY KEY (trace_id, span_id));
      CREATE INDEX IF NOT EXISTS spans_saga ON spans (saga_id) WHERE saga_id IS NOT NULL;
      CREATE INDEX IF NOT EXISTS spans_start ON spans (start_ms);
      CREATE TABLE IF NOT EXISTS traces (
        trace_id TEXT PRIMARY KEY, start_ms REAL NOT NULL, duration_ms REAL NOT NULL,
        root_name TEXT NOT NULL, root_service TEXT NOT NULL, span_count INTEGER NOT NULL,
        error_count INTEGER NOT NULL, services TEXT NOT NULL, updated INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS traces_start ON traces (start_ms);
      CREATE INDEX IF NOT EXISTS traces_updated ON traces (updated);
      CREATE TABLE IF NOT EXISTS logs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms REAL NOT NULL, process TEXT NOT NULL,
        level INTEGER NOT NULL, msg TEXT NOT NULL, trace_id TEXT, span_id TEXT, request_id TEXT, fields TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS logs_trace ON logs (trace_id) WHERE trace_id IS NOT NULL;
      CREATE TABLE IF NOT EXISTS decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms REAL NOT NULL, decision TEXT NOT NULL,
        workload TEXT NOT NULL, caller TEXT NOT NULL, method TEXT NOT NULL, policy TEXT NOT NULL,
        rule INTEGER NOT NULL, reason TEXT NOT NULL, trace_id TEXT NOT NULL, span_id TEXT NOT NULL);
      -- One decision per call: the log line and the span event of the same decision merge.
      CREATE UNIQUE INDEX IF NOT EXISTS decisions_call ON decisions (span_id, method) WHERE span_id <> '';
    `);
  }

  close(): void {
    this.#db.close();
  }

  // ---- spans and traces ----

  /** Stores spans (a re-sent span replaces its copy) and refreshes the summaries of their traces. */
  insertSpans(spans: readonly SpanRecord[]): void {
    if (spans.length === 0) return;
    const insert = this.#db.prepare(`INSERT OR REPLACE INTO spans VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const count = this.#db.prepare(`SELECT count(*) AS n FROM spans WHERE trace_id = ?`);
    const traces = new Set<string>();
    this.#transaction(() => {
      for (const span of spans) {
        const stored = (count.get(span.traceId) as { n: number }).n;
        if (stored >= this.bounds.maxSpansPerTrace) continue;
        const sagaId = span.attributes["saga.id"];
        insert.run(
          span.traceId,
          span.spanId,
          span.parentSpanId ?? null,
          span.service,
          span.name,
          span.kind,
          span.startMs,
          span.durationMs,
          span.status,
          span.statusMessage,
          typeof sagaId === "string" && sagaId !== "" ? sagaId : null,
          JSON.stringify({ attributes: span.attributes, events: span.events, links: span.links, scope: span.scope }),
        );
        traces.add(span.traceId);
      }
      const upsert = this.#db.prepare(`INSERT OR REPLACE INTO traces VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      for (const traceId of traces) {
        const summary = summarizeTrace(this.trace(traceId));
        upsert.run(
          traceId,
          summary.startMs,
          summary.durationMs,
          summary.rootName,
          summary.rootService,
          summary.spanCount,
          summary.errorCount,
          JSON.stringify(summary.services),
          this.#tick(),
        );
      }
    });
    this.#maybePrune(spans.length);
  }

  trace(traceId: string): SpanRecord[] {
    return this.#db.prepare(`SELECT * FROM spans WHERE trace_id = ? ORDER BY start_ms`).all(traceId).map(spanFromRow);
  }

  traceSummary(traceId: string): TraceSummary | undefined {
    const row = this.#db.prepare(`SELECT * FROM traces WHERE trace_id = ?`).get(traceId);
    return row ? summaryFromRow(row) : undefined;
  }

  traces(query: TraceQuery = {}): TraceSummary[] {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (query.service) {
      where.push(`EXISTS (SELECT 1 FROM json_each(traces.services) WHERE value = ?)`);
      params.push(query.service);
    }
    if (query.errorsOnly) where.push(`error_count > 0`);
    if (query.beforeMs !== undefined) {
      where.push(`start_ms < ?`);
      params.push(query.beforeMs);
    }
    if (query.text) {
      where.push(
        `trace_id = ? OR EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = traces.trace_id AND (s.name LIKE ? ESCAPE '\\' OR s.doc LIKE ? ESCAPE '\\'))`,
      );
      const like = `%${escapeLike(query.text)}%`;
      params.push(query.text.toLowerCase(), like, like);
    }
    const sql = `SELECT * FROM traces ${where.length ? `WHERE ${where.map((w) => `(${w})`).join(" AND ")}` : ""} ORDER BY start_ms DESC LIMIT ?`;
    params.push(query.limit ?? 100);
    return this.#db
      .prepare(sql)
      .all(...params)
      .map(summaryFromRow);
  }

  /** Every span carrying `saga.id` = id, oldest first, across traces. */
  sagaSpans(sagaId: string): SpanRecord[] {
    return this.#db.prepare(`SELECT * FROM spans WHERE saga_id = ? ORDER BY start_ms`).all(sagaId).map(spanFromRow);
  }

  /** Saga ids seen most recently, with their latest span time. */
  recentSagas(limit = 50): Array<{ sagaId: string; lastMs: number; spans: number }> {
    return this.#db
      .prepare(
        `SELECT saga_id AS sagaId, max(start_ms + duration_ms) AS lastMs, count(*) AS spans FROM spans
         WHERE saga_id IS NOT NULL GROUP BY saga_id ORDER BY lastMs DESC LIMIT ?`,
      )
      .all(limit) as Array<{ sagaId: string; lastMs: number; spans: number }>;
  }

  /** Spans that ended at or after `sinceMs`, for rebuilding the traffic windows after a restart. */
  spansEndedSince(sinceMs: number): SpanRecord[] {
    return this.#db
      .prepare(`SELECT * FROM spans WHERE start_ms + duration_ms >= ? ORDER BY start_ms`)
      .all(sinceMs)
      .map(spanFromRow);
  }

  // ---- logs ----

  insertLog(record: Omit<LogRecord, "id">): LogRecord {
    const result = this.#db
      .prepare(
        `INSERT INTO logs (time_ms, process, level, msg, trace_id, span_id, request_id, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.timeMs,
        record.process,
        logLevels.indexOf(record.level),
        record.msg,
        record.traceId ?? null,
        record.spanId ?? null,
        record.requestId ?? null,
        JSON.stringify(record.fields),
      );
    this.#maybePrune(1);
    return { ...record, id: Number(result.lastInsertRowid) };
  }

  logs(query: LogQuery = {}): LogRecord[] {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (query.afterId !== undefined) {
      where.push(`id > ?`);
      params.push(query.afterId);
    }
    if (query.beforeId !== undefined) {
      where.push(`id < ?`);
      params.push(query.beforeId);
    }
    if (query.minLevel) {
      where.push(`level >= ?`);
      params.push(logLevels.indexOf(query.minLevel));
    }
    if (query.process) {
      where.push(`process = ?`);
      params.push(query.process);
    }
    if (query.traceId) {
      where.push(`trace_id = ?`);
      params.push(query.traceId);
    }
    if (query.text) {
      where.push(`(msg LIKE ? ESCAPE '\\' OR fields LIKE ? ESCAPE '\\')`);
      const like = `%${escapeLike(query.text)}%`;
      params.push(like, like);
    }
    // Newest first for paging; the caller gets them back oldest first, as a log reads.
    const tail = query.afterId !== undefined;
    const sql = `SELECT * FROM logs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id ${tail ? "ASC" : "DESC"} LIMIT ?`;
    params.push(query.limit ?? 500);
    const rows = this.#db
      .prepare(sql)
      .all(...params)
      .map(logFromRow);
    return tail ? rows : rows.reverse();
  }

  // ---- decisions ----

  insertDecisions(decisions: readonly AuthzDecision[]): StoredDecision[] {
    const insert = this.#db.prepare(
      `INSERT INTO decisions (time_ms, decision, workload, caller, method, policy, rule, reason, trace_id, span_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (span_id, method) WHERE span_id <> '' DO UPDATE SET
         policy = CASE WHEN excluded.policy <> '' THEN excluded.policy ELSE policy END,
         rule = CASE WHEN excluded.rule >= 0 THEN excluded.rule ELSE rule END,
         reason = CASE WHEN excluded.reason <> '' THEN excluded.reason ELSE reason END
       RETURNING id`,
    );
    const stored: StoredDecision[] = [];
    this.#transaction(() => {
      for (const d of decisions) {
        const row = insert.get(
          d.timeMs,
          d.decision,
          d.workload,
          d.caller,
          d.method,
          d.policy,
          d.rule,
          d.reason,
          d.traceId,
          d.spanId,
        ) as { id: number };
        stored.push({ ...d, id: Number(row.id) });
      }
    });
    this.#maybePrune(decisions.length);
    return stored;
  }

  decisions(query: DecisionQuery = {}): StoredDecision[] {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (query.afterId !== undefined) {
      where.push(`id > ?`);
      params.push(query.afterId);
    }
    if (query.decision) {
      where.push(`decision = ?`);
      params.push(query.decision);
    }
    if (query.workload) {
      where.push(`workload = ?`);
      params.push(query.workload);
    }
    const sql = `SELECT * FROM decisions ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
    params.push(query.limit ?? 200);
    return this.#db
      .prepare(sql)
      .all(...params)
      .map(decisionFromRow);
  }

  /** Row counts, for tests and the status line. */
  counts(): { traces: number; spans: number; logs: number; decisions: number } {
    const n = (table: string) => (this.#db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { traces: n("traces"), spans: n("spans"), logs: n("logs"), decisions: n("decisions") };
  }

  /** Deletes what is over the bounds, oldest first. */
  prune(): void {
    const { maxTraces, maxLogs, maxDecisions } = this.bounds;
    this.#transaction(() => {
      this.#db.exec(`
        CREATE TEMP TABLE IF NOT EXISTS evicted (trace_id TEXT PRIMARY KEY);
        DELETE FROM evicted;`);
      this.#db
        .prepare(`INSERT INTO evicted SELECT trace_id FROM traces ORDER BY updated DESC LIMIT -1 OFFSET ?`)
        .run(maxTraces);
      this.#db.exec(`
        DELETE FROM spans WHERE trace_id IN (SELECT trace_id FROM evicted);
        DELETE FROM traces WHERE trace_id IN (SELECT trace_id FROM evicted);`);
      this.#db.prepare(`DELETE FROM logs WHERE id <= (SELECT max(id) FROM logs) - ?`).run(maxLogs);
      this.#db.prepare(`DELETE FROM decisions WHERE id <= (SELECT max(id) FROM decisions) - ?`).run(maxDecisions);
    });
  }

  /** Prunes every so often rather than on every write: a few percent over a bound is harmless. */
  #maybePrune(written: number): void {
    this.#writesSincePrune += written;
    if (this.#writesSincePrune < 500) return;
    this.#writesSincePrune = 0;
    this.prune();
  }

  #counter = 0;
  /** A strictly increasing "last updated" stamp that survives restarts (it starts from the clock). */
  #tick(): number {
    this.#counter = Math.max(this.#counter + 1, Date.now() * 1000);
    return this.#counter;
  }

  #transaction(body: () => void): void {
    if (this.#db.isTransaction) {
      body();
      return;
    }
    this.#db.exec("BEGIN");
    try {
      body();
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }
}

type Row = Record<string, SQLInputValue | null>;

function spanFromRow(row: Row): SpanRecord {
  const doc = JSON.parse(String(row.doc)) as Pick<SpanRecord, "attributes" | "events" | "links" | "scope">;
  return {
    traceId: String(row.trace_id),
    spanId: String(row.span_id),
    parentSpanId: row.parent_id === null ? undefined : String(row.parent_id),
    service: String(row.service),
    name: String(row.name),
    kind: String(row.kind) as SpanRecord["kind"],
    startMs: Number(row.start_ms),
    durationMs: Number(row.duration_ms),
    status: String(row.status) as SpanRecord["status"],
    statusMessage: String(row.status_message),
    ...doc,
  };
}

function summaryFromRow(row: Row): TraceSummary {
  return {
    traceId: String(row.trace_id),
    startMs: Number(row.start_ms),
    durationMs: Number(row.duration_ms),
    rootName: String(row.root_name),
    rootService: String(row.root_service),
    spanCount: Number(row.span_count),
    errorCount: Number(row.error_count),
    services: JSON.parse(String(row.services)) as string[],
  };
}

function logFromRow(row: Row): LogRecord {
  return {
    id: Number(row.id),
    timeMs: Number(row.time_ms),
    process: String(row.process),
    level: logLevels[Number(row.level)] ?? "info",
    msg: String(row.msg),
    traceId: row.trace_id === null ? undefined : String(row.trace_id),
    spanId: row.span_id === null ? undefined : String(row.span_id),
    requestId: row.request_id === null ? undefined : String(row.request_id),
    fields: JSON.parse(String(row.fields)) as Record<string, unknown>,
  };
}

function decisionFromRow(row: Row): StoredDecision {
  return {
    id: Number(row.id),
    timeMs: Number(row.time_ms),
    decision: String(row.decision) as "allow" | "deny",
    workload: String(row.workload),
    caller: String(row.caller),
    method: String(row.method),
    policy: String(row.policy),
    rule: Number(row.rule),
    reason: String(row.reason),
    traceId: String(row.trace_id),
    spanId: String(row.span_id),
  };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
