import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { context, propagation, SpanKind, trace } from "@opentelemetry/api";
import { and, asc, inArray, isNotNull, isNull, lt, sql } from "drizzle-orm";
import type { Database } from "../data/index.ts";
import { Wakeup } from "../lifecycle/periodic.ts";
import type { Logger } from "../telemetry/index.ts";
import { ensureStream, eventStreamOf } from "./bus.ts";
import { type CommitListener, listenForCommits } from "./commit-listener.ts";
import { envelopeHeaders, protobufContentType } from "./envelope.ts";
import { outbox } from "./tables.ts";

export interface RelayOptions<Schema extends Record<string, unknown>> {
  db: Database<Schema>;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** CloudEvents `source` of every event: `<app>/<service>`, e.g. `example/billing`. */
  source: string;
  logger: Logger;
  batchSize?: number;
  /**
   * The database's postgres:// URL: the relay LISTENs there for commits of outbox rows, from this
   * process or any other (the outbox's trigger notifies `weft_outbox`). Without it (an embedded
   * single-process database) nudges and the safety poll wake the relay.
   */
  listenUrl?: string;
  /** The safety poll: how often to look for rows nobody told the relay about. */
  pollMs?: number;
  /** How long published rows are kept (for debugging) before they are deleted. */
  retentionMs?: number;
}

const tracer = trace.getTracer("weft-mesh");

/** How often old published rows are deleted: retention is an hour, so every few minutes is plenty. */
const cleanupEveryMs = 5 * 60 * 1000;

/** How many taken event ids a relay remembers (a few batches' worth). */
const rememberedIds = 1_000;

/** The channel the outbox's trigger (mesh/drizzle) notifies on every insert. */
export const outboxChannel = "weft_outbox";

/**
 * Publishes the outbox to JetStream, woken by the commits that add rows (LISTEN/NOTIFY, or a
 * nudge from this process) and otherwise idle but for a slow safety poll. Each batch claims unpublished rows with
 * `FOR UPDATE SKIP LOCKED` (so replicas share the work without publishing a row twice at once),
 * publishes them with `Nats-Msg-Id` = event id and waits for JetStream's acks, then marks them
 * published in the same transaction. A crash between publish and commit republishes the rows,
 * which JetStream's duplicate window and the consumers' inbox both absorb.
 */
export class OutboxRelay<Schema extends Record<string, unknown>> {
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly retentionMs: number;
  private running: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private readonly wakeup = new Wakeup();
  private lastCleanup = 0;
  /** When this relay last published (start counts: an earlier run's rows may be waiting). */
  private lastPublished = Date.now();
  private listener: CommitListener | undefined;
  /** Ids of the events the latest rounds took, oldest first: their notifications need no round. */
  private readonly taken = new Set<string>();
  /** Streams this relay has declared: an event can only be stored if its stream exists. */
  private readonly declaredStreams = new Set<string>();

  constructor(private readonly options: RelayOptions<Schema>) {
    this.batchSize = options.batchSize ?? 100;
    // Commits wake the relay; the poll is only the backstop for a notification that never came.
    this.pollMs = options.pollMs ?? 30_000;
    this.retentionMs = options.retentionMs ?? 60 * 60 * 1000;
  }

  start(): void {
    if (this.running) return;
    const { listenUrl, logger } = this.options;
    if (listenUrl !== undefined) {
      this.listener = listenForCommits({
        url: listenUrl,
        channel: outboxChannel,
        // The payload is the newest event id of the committing statement (see mesh/drizzle).
        onNotify: (eventId) => {
          if (eventId === undefined || !this.taken.has(eventId)) this.wakeup.wake();
        },
        logger,
      });
    }
    this.running = this.loop();
  }

  /**
   * Publish soon: a transaction that recorded events just committed. While the relay listens, the
   * commit's own notification wakes it, so a nudge would only add an empty round (and a commit).
   */
  nudge(): void {
    if (!this.listener?.listening) this.wakeup.wake();
  }

  /** Stops after the batch in progress; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
    await this.listener?.close();
  }

  /** Publishes one batch; returns how many events it published. */
  async publishBatch(): Promise<number> {
    const { db, js } = this.options;
    return db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(outbox)
        .where(isNull(outbox.publishedAt))
        .orderBy(asc(outbox.createdAt), asc(outbox.id))
        .limit(this.batchSize)
        .for("update", { skipLocked: true });
      if (rows.length === 0) return 0;
      this.lastPublished = Date.now();
      this.remember(rows.map((row) => row.id));
      await this.declareStreamsOf(rows.map((row) => row.type));
      await Promise.all(
        rows.map((row) => {
          const parent = propagation.extract(context.active(), row.traceHeaders);
          const span = tracer.startSpan(`publish ${row.type}`, { kind: SpanKind.PRODUCER }, parent);
          const headers = natsHeaders();
          headers.set(envelopeHeaders.id, row.id);
          headers.set(envelopeHeaders.type, row.type);
          headers.set(envelopeHeaders.source, this.options.source);
          headers.set(envelopeHeaders.subject, row.subject);
          headers.set(envelopeHeaders.time, row.createdAt.toISOString());
          headers.set(envelopeHeaders.specVersion, "1.0");
          headers.set(envelopeHeaders.contentType, protobufContentType);
          propagation.inject(trace.setSpan(parent, span), headers, {
            set: (carrier, key, value) => carrier.set(key, value),
          });
          return js.publish(row.type, row.payload, { msgID: row.id, headers }).finally(() => span.end());
        }),
      );
      await tx
        .update(outbox)
        .set({ publishedAt: sql`now()` })
        .where(
          inArray(
            outbox.id,
            rows.map((r) => r.id),
          ),
        );
      return rows.length;
    });
  }

  /**
   * Remembers the ids a round took, so the notifications of their commits (which may arrive while
   * the round runs) wake nobody. Bounded: an id forgotten only costs a round that finds nothing.
   */
  private remember(ids: readonly string[]): void {
    for (const id of ids) this.taken.add(id);
    for (const id of this.taken) {
      if (this.taken.size <= rememberedIds) break;
      this.taken.delete(id);
    }
  }

  /** Declares the stream of each event's protobuf package the first time the relay meets it. */
  private async declareStreamsOf(types: readonly string[]): Promise<void> {
    for (const type of new Set(types)) {
      const protoPackage = type.slice(0, type.lastIndexOf("."));
      if (this.declaredStreams.has(protoPackage)) continue;
      const stream = eventStreamOf(protoPackage);
      await ensureStream(this.options.jsm, stream.name, stream.subjects);
      this.declaredStreams.add(protoPackage);
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      try {
        const published = await this.publishBatch();
        failures = 0;
        await this.cleanupNowAndThen();
        if (published === this.batchSize) continue;
        await this.wakeup.sleep(this.pollMs, signal);
      } catch (error) {
        failures++;
        const backoff = Math.min(5_000, 100 * 2 ** Math.min(failures, 6));
        this.options.logger.warn({ err: error, retry_in_ms: backoff }, "outbox relay: publish failed, will retry");
        await this.wakeup.sleep(backoff, signal);
      }
    }
  }

  /**
   * Deletes published rows past retention, now and then, and only while some may still fall out
   * of it: an idle relay stops cleaning a retention period after its last publish.
   */
  private async cleanupNowAndThen(): Promise<void> {
    const now = Date.now();
    const every = cleanupEveryMs;
    if (now - this.lastCleanup < every || now - this.lastPublished > this.retentionMs + every) return;
    this.lastCleanup = now;
    const cutoff = new Date(Date.now() - this.retentionMs);
    await this.options.db.delete(outbox).where(and(isNotNull(outbox.publishedAt), lt(outbox.publishedAt, cutoff)));
  }
}
