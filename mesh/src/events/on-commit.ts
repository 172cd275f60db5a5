// Publishing on commit: an event this process records is published from memory the moment its
// transaction commits, and its row marked published later, a second's worth in one UPDATE. Until
// its hand-over time the row is left to this process (relays skip it, the outbox trigger wakes
// none of them); a crash before publishing or marking costs a late or a duplicate publish, which
// JetStream's duplicate window and the consumers' inbox absorb — never a lost event.
import { inArray, sql } from "drizzle-orm";
import type { Database } from "../data/index.ts";
import type { Logger } from "../telemetry/index.ts";
import type { EventPublisher, OutboxEvent } from "./publisher.ts";
import { outbox } from "./tables.ts";

/** What `recordEvent` hands a committed event to. */
export interface CommitPublisher {
  /** When relays may take the rows this publisher has been handed, in milliseconds from now. */
  readonly handOverMs: number;
  /** Publishes an event whose transaction has just committed; never throws. */
  publishCommitted(event: OutboxEvent): void;
}

/** The publishers on commit of this process, by the database whose outbox they publish. */
const publishers = new WeakMap<object, CommitPublisher>();

/** Who publishes on commit the events written to `db`, if anyone in this process does. */
export function commitPublisherOf(db: object): CommitPublisher | undefined {
  return publishers.get(db);
}

/**
 * How long events published on commit wait to be marked published: the marks of a second share
 * one UPDATE (and one commit). A row marked late is only published again if the process dies
 * before marking it.
 */
const markEveryMs = 1_000;

/** After a failed mark, the next try: unmarked rows are harmless until handed over. */
const markRetryMs = 5_000;

export interface OnCommitOptions<Schema extends Record<string, unknown>> {
  db: Database<Schema>;
  publisher: EventPublisher;
  logger: Logger;
  handOverMs: number;
  /** Marks this many at once without waiting for the second to pass. */
  markBatch: number;
  /** Told when a publish failed: the events wait in `retryFailed` for whoever retries them. */
  onFailure: () => void;
}

export class PublishOnCommit<Schema extends Record<string, unknown>> implements CommitPublisher {
  readonly handOverMs: number;
  /** When an event was last handed over for publishing (Date.now()); 0 before any. */
  lastPublishedAt = 0;
  private stopped = true;
  /** Events committed since the last turn of the event loop, to be published in the next. */
  private committed: OutboxEvent[] = [];
  private committedFlush: NodeJS.Immediate | undefined;
  /** Publishes not yet acknowledged by JetStream. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Events whose publish failed, until `retryFailed` publishes them. */
  private failed: OutboxEvent[] = [];
  /** Ids published, not yet marked published. */
  private unmarked: string[] = [];
  private markTimer: NodeJS.Timeout | undefined;
  /** The UPDATE marking `unmarked` rows, while one runs: they run one at a time. */
  private marking: Promise<void> = Promise.resolve();

  constructor(private readonly options: OnCommitOptions<Schema>) {
    this.handOverMs = options.handOverMs;
  }

  /** From now on, events recorded in transactions of the database are handed to this publisher. */
  start(): void {
    this.stopped = false;
    publishers.set(this.options.db, this);
  }

  publishCommitted(event: OutboxEvent): void {
    if (this.stopped) return; // its row is handed over to the relays
    this.committed.push(event);
    this.committedFlush ??= setImmediate(this.publishCommittedNow);
  }

  /** Publishes again the events whose publish failed (they stay failed if it fails again). */
  async retryFailed(): Promise<void> {
    if (this.failed.length === 0) return;
    const events = this.failed;
    this.failed = [];
    try {
      await this.options.publisher.publish(events);
    } catch (error) {
      this.failed.push(...events);
      throw error;
    }
    for (const event of events) this.markLater(event.id);
  }

  /**
   * Publishes what has been handed over so far and waits for it, marks what was published, and
   * hands nothing more: events recorded from now on are left to the relays.
   */
  async stop(): Promise<void> {
    if (publishers.get(this.options.db) === this) publishers.delete(this.options.db);
    this.stopped = true;
    this.publishCommittedNow();
    await Promise.all(this.inFlight);
    await this.markNow();
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
    this.lastPublishedAt = Date.now();
    for (const event of events) {
      const publishing = this.options.publisher.publish([event]).then(
        () => this.markLater(event.id),
        (error: unknown) => {
          this.failed.push(event);
          this.options.logger.warn({ err: error, event_id: event.id }, "outbox: publish on commit failed, will retry");
          this.options.onFailure();
        },
      );
      this.inFlight.add(publishing);
      void publishing.finally(() => this.inFlight.delete(publishing));
    }
  };

  /** Marks an event published, with the others of the next second. */
  private markLater(id: string): void {
    this.unmarked.push(id);
    if (this.unmarked.length >= this.options.markBatch) void this.markNow();
    else this.markTimer ??= setTimeout(() => void this.markNow(), markEveryMs);
  }

  /** Marks every event published so far in one UPDATE; a failed one is tried again later. */
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
        this.options.logger.warn(
          { err: error, events: ids.length },
          "outbox: marking events published failed, will retry",
        );
        this.unmarked.push(...ids);
        if (!this.stopped) this.markTimer ??= setTimeout(() => void this.markNow(), markRetryMs);
      }
    });
    return this.marking;
  }
}
