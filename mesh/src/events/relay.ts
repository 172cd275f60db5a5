import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { context, propagation, SpanKind, trace } from "@opentelemetry/api";
import { and, asc, inArray, isNotNull, isNull, lt, lte, or, sql } from "drizzle-orm";
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
  /**
   * Publish the events this process records, straight after their transaction commits (default
   * true), instead of leaving them to a relay round: no claim, no wake-up, and their rows are
   * marked published a batch at a time. Only for transactions of a database `openDatabase` opened
   * (the others, and every row another process writes, go through rounds).
   */
  publishOnCommit?: boolean;
  /**
   * How long relays leave a row this process will publish itself (default 10 s): past that, the
   * process is taken to have died before publishing, and the row is any relay's.
   */
  handOverMs?: number;
}

/** An outbox row as the relay publishes it. */
export type OutboxEvent = Pick<
  typeof outbox.$inferSelect,
  "id" | "type" | "subject" | "payload" | "traceHeaders" | "createdAt"
>;

/** What `recordEvent` hands a committed event to: the relay of the database it was written to. */
export interface CommitPublisher {
  /** When relays may take the rows this publisher has been handed, in milliseconds from now. */
  readonly handOverMs: number;
  /** Publishes an event whose transaction has just committed; never throws. */
  publishCommitted(event: OutboxEvent): void;
}

/** The started relays that publish on commit, by the database they publish the outbox of. */
const commitPublishers = new WeakMap<object, CommitPublisher>();

/** The relay that publishes on commit the events written to `db`, if one runs in this process. */
export function commitPublisherOf(db: object): CommitPublisher | undefined {
  return commitPublishers.get(db);
}

const tracer = trace.getTracer("weft-mesh");

/** How often old published rows are deleted: retention is an hour, so every few minutes is plenty. */
const cleanupEveryMs = 5 * 60 * 1000;

/** How many taken event ids a relay remembers (a few batches' worth). */
const rememberedIds = 1_000;

/**
 * How long events published on commit wait to be marked published: the marks of a second share
 * one UPDATE (and one commit). A row marked late is only republished if the process dies before
 * marking it (and after its hand-over time), which JetStream's duplicate window and the
 * consumers' inbox absorb.
 */
const markEveryMs = 1_000;

/** The channel the outbox's trigger (mesh/drizzle) notifies on every insert. */
export const outboxChannel = "weft_outbox";

/**
 * Publishes the outbox to JetStream, two ways.
 *
 * - On commit: an event this process records (`recordEvent`) is published as soon as its
 *   transaction commits, from memory, and its row marked published a batch at a time. Its row
 *   carries a hand-over time until which relays leave it, so a crash before publishing or marking
 *   costs a late (or a duplicate) publish, never a lost event.
 * - In rounds: rows written by other processes (or handed over) are found by rounds woken by the
 *   commits that add them (LISTEN/NOTIFY, or a nudge from this process) and otherwise by a slow
 *   safety poll. Each round claims unpublished rows with `FOR UPDATE SKIP LOCKED` (so replicas
 *   share the work without publishing a row twice at once), publishes them and waits for
 *   JetStream's acks, then marks them published in the same transaction.
 *
 * Every publish carries `Nats-Msg-Id` = event id: a republished row (a crash between publish and
 * mark) is absorbed by JetStream's duplicate window and the consumers' inbox.
 */
export class OutboxRelay<Schema extends Record<string, unknown>> implements CommitPublisher {
  readonly handOverMs: number;
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
  /** Events committed since the last turn of the event loop, to be published in the next. */
  private committed: OutboxEvent[] = [];
  private committedFlush: NodeJS.Immediate | undefined;
  /** Publishes on commit not yet acknowledged by JetStream. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Events published on commit whose publish failed: the next round publishes them again. */
  private failed: OutboxEvent[] = [];
  /** Ids published on commit, not yet marked published. */
  private unmarked: string[] = [];
  private markTimer: NodeJS.Timeout | undefined;
  private handOverRound: NodeJS.Timeout | undefined;
  /** The UPDATE marking `unmarked` rows, while one runs: they run one at a time. */
  private marking: Promise<void> = Promise.resolve();

  constructor(private readonly options: RelayOptions<Schema>) {
    this.handOverMs = options.handOverMs ?? 10_000;
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
    if (this.options.publishOnCommit !== false) commitPublishers.set(this.options.db, this);
    // What an earlier run of this service committed but died before publishing is handed over to
    // the relays at most a hand-over time after it died, and no notification says so: look then.
    this.handOverRound = setTimeout(() => this.wakeup.wake(), this.handOverMs + 1_000);
  }

  publishCommitted(event: OutboxEvent): void {
    if (this.stopping.signal.aborted) return; // its row is handed over to the relays
    this.committed.push(event);
    this.committedFlush ??= setImmediate(this.publishCommittedNow);
  }

  /**
   * Publishes the events of every commit since the last turn of the event loop, together: the
   * NATS client writes what is published in one turn to its socket at once, and on a loaded
   * process several transactions commit in the same turn.
   */
  private readonly publishCommittedNow = (): void => {
    clearImmediate(this.committedFlush);
    this.committedFlush = undefined;
    const events = this.committed;
    if (events.length === 0) return;
    this.committed = [];
    this.lastPublished = Date.now();
    for (const event of events) {
      const publishing = this.publishEvents([event]).then(
        () => this.markLater(event.id),
        (error: unknown) => {
          this.failed.push(event);
          this.options.logger.warn(
            { err: error, event_id: event.id },
            "outbox relay: publish on commit failed, will retry",
          );
          this.wakeup.wake();
        },
      );
      this.inFlight.add(publishing);
      void publishing.finally(() => this.inFlight.delete(publishing));
    }
  };

  /**
   * Publish soon: a transaction that recorded events just committed. While the relay listens, the
   * commit's own notification wakes it, so a nudge would only add an empty round (and a commit).
   */
  nudge(): void {
    if (!this.listener?.listening) this.wakeup.wake();
  }

  /**
   * Stops after the round in progress and the publishes on commit under way, marks what they
   * published, and resolves when all that has ended. Events recorded from now on are left to the relays.
   */
  async stop(): Promise<void> {
    if (commitPublishers.get(this.options.db) === this) commitPublishers.delete(this.options.db);
    this.stopping.abort();
    clearTimeout(this.handOverRound);
    await this.running;
    this.publishCommittedNow();
    await Promise.all(this.inFlight);
    await this.markNow();
    await this.listener?.close();
  }

  /** Publishes one batch; returns how many events it published. */
  async publishBatch(): Promise<number> {
    return this.options.db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(outbox)
        .where(
          and(
            isNull(outbox.publishedAt),
            or(isNull(outbox.relayAfter), lte(outbox.relayAfter, sql`clock_timestamp()`)),
          ),
        )
        .orderBy(asc(outbox.createdAt), asc(outbox.id))
        .limit(this.batchSize)
        .for("update", { skipLocked: true });
      if (rows.length === 0) return 0;
      this.lastPublished = Date.now();
      this.remember(rows.map((row) => row.id));
      await this.publishEvents(rows);
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

  /** Publishes events and waits for JetStream to have stored each of them. */
  private async publishEvents(events: readonly OutboxEvent[]): Promise<void> {
    await this.declareStreamsOf(events);
    await Promise.all(events.map((event) => this.publishEvent(event)));
  }

  private publishEvent(event: OutboxEvent): Promise<void> {
    const parent = propagation.extract(context.active(), event.traceHeaders);
    const span = tracer.startSpan(`publish ${event.type}`, { kind: SpanKind.PRODUCER }, parent);
    const headers = natsHeaders();
    headers.set(envelopeHeaders.id, event.id);
    headers.set(envelopeHeaders.type, event.type);
    headers.set(envelopeHeaders.source, this.options.source);
    headers.set(envelopeHeaders.subject, event.subject);
    headers.set(envelopeHeaders.time, event.createdAt.toISOString());
    headers.set(envelopeHeaders.specVersion, "1.0");
    headers.set(envelopeHeaders.contentType, protobufContentType);
    propagation.inject(trace.setSpan(parent, span), headers, {
      set: (carrier, key, value) => carrier.set(key, value),
    });
    return this.options.js.publish(event.type, event.payload, { msgID: event.id, headers }).then(
      () => span.end(),
      (error: unknown) => {
        span.end();
        throw error;
      },
    );
  }

  /** Marks an event published on commit, with the others of the next second. */
  private markLater(id: string): void {
    this.unmarked.push(id);
    if (this.unmarked.length >= this.batchSize) void this.markNow();
    else this.markTimer ??= setTimeout(() => void this.markNow(), markEveryMs);
  }

  /** Marks every event published on commit so far in one UPDATE; a failed one is tried again later. */
  private markNow(): Promise<void> {
    clearTimeout(this.markTimer);
    this.markTimer = undefined;
    this.marking = this.marking.then(async () => {
      const ids = this.unmarked;
      if (ids.length === 0) return;
      this.unmarked = [];
      try {
        await this.options.db.update(outbox).set({ publishedAt: sql`now()` }).where(inArray(outbox.id, ids));
      } catch (error) {
        // Unmarked rows are only published again once handed over: harmless, so retry calmly.
        this.options.logger.warn(
          { err: error, events: ids.length },
          "outbox relay: marking events published failed, will retry",
        );
        this.unmarked.push(...ids);
        if (!this.stopping.signal.aborted) this.markTimer ??= setTimeout(() => void this.markNow(), 5_000);
      }
    });
    return this.marking;
  }

  /** Publishes again the events whose publish on commit failed; they are marked as if it had not. */
  private async republishFailed(): Promise<void> {
    if (this.failed.length === 0) return;
    const events = this.failed;
    this.failed = [];
    try {
      await this.publishEvents(events);
    } catch (error) {
      this.failed.push(...events);
      throw error;
    }
    for (const event of events) this.markLater(event.id);
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
  private async declareStreamsOf(events: readonly OutboxEvent[]): Promise<void> {
    for (const { type } of events) {
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
        await this.republishFailed();
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
