import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { and, asc, inArray, isNotNull, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { Database } from "../data/index.ts";
import { Wakeup } from "../lifecycle/periodic.ts";
import type { Logger } from "../telemetry/index.ts";
import { type CommitListener, listenForCommits } from "./commit-listener.ts";
import { PublishOnCommit } from "./on-commit.ts";
import { EventPublisher } from "./publisher.ts";
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

/** How often old published rows are deleted: retention is an hour, so every few minutes is plenty. */
const cleanupEveryMs = 5 * 60 * 1000;

/** How many taken event ids a relay remembers (a few batches' worth). */
const rememberedIds = 1_000;

/** The channel the outbox's trigger (mesh/drizzle) notifies on every insert. */
export const outboxChannel = "weft_outbox";

/**
 * Publishes the outbox to JetStream, two ways.
 *
 * - On commit (on-commit.ts): an event this process records (`recordEvent`) is published as soon
 *   as its transaction commits, from memory, and its row marked published a batch at a time.
 * - In rounds: rows written by other processes (or handed over) are found by rounds woken by the
 *   commits that add them (LISTEN/NOTIFY, or a nudge from this process) and otherwise by a slow
 *   safety poll. Each round claims unpublished rows with `FOR UPDATE SKIP LOCKED` (so replicas
 *   share the work without publishing a row twice at once), publishes them and waits for
 *   JetStream's acks, then marks them published in the same transaction.
 *
 * Every publish carries `Nats-Msg-Id` = event id: a republished row (a crash between publish and
 * mark) is absorbed by JetStream's duplicate window and the consumers' inbox.
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
  private readonly publisher: EventPublisher;
  private readonly onCommit: PublishOnCommit<Schema>;
  private handOverRound: NodeJS.Timeout | undefined;

  constructor(private readonly options: RelayOptions<Schema>) {
    this.batchSize = options.batchSize ?? 100;
    // Commits wake the relay; the poll is only the backstop for a notification that never came.
    this.pollMs = options.pollMs ?? 30_000;
    this.retentionMs = options.retentionMs ?? 60 * 60 * 1000;
    this.publisher = new EventPublisher(options.js, options.jsm, options.source);
    this.onCommit = new PublishOnCommit({
      db: options.db,
      publisher: this.publisher,
      logger: options.logger,
      handOverMs: options.handOverMs ?? 10_000,
      markBatch: this.batchSize,
      // The loop publishes them again, with its backoff.
      onFailure: () => this.wakeup.wake(),
    });
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
    if (this.options.publishOnCommit !== false) this.onCommit.start();
    // What an earlier run of this service committed but died before publishing is handed over to
    // the relays at most a hand-over time after it died, and no notification says so: look then.
    this.handOverRound = setTimeout(() => this.wakeup.wake(), this.onCommit.handOverMs + 1_000);
    this.handOverRound.unref();
  }

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
    this.stopping.abort();
    clearTimeout(this.handOverRound);
    await this.running;
    await this.onCommit.stop();
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
      await this.publisher.publish(rows);
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

  private async loop(): Promise<void> {
    let failures = 0;
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      try {
        await this.onCommit.retryFailed();
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
    const lastPublished = Math.max(this.lastPublished, this.onCommit.lastPublishedAt);
    if (now - this.lastCleanup < every || now - lastPublished > this.retentionMs + every) return;
    this.lastCleanup = now;
    const cutoff = new Date(Date.now() - this.retentionMs);
    await this.options.db.delete(outbox).where(and(isNotNull(outbox.publishedAt), lt(outbox.publishedAt, cutoff)));
  }
}
