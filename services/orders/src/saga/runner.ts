// The saga runner: a background loop that claims due sagas (several replicas may run it; the
// claim skips rows another holds) and drives each through its steps. Each step costs one commit:
// its outcome, the saga's next state, the order change and its event are written together, and
// when the next step is due at once the same commit keeps the lease and marks its call in flight,
// so the runner goes straight on with it. Everything it knows is in the database, so a restart (or
// kill -9) loses nothing: unfinished sagas are claimed again once their lease lapses.
import { randomUUID } from "node:crypto";
import { Alarm, type Mesh } from "@weft/mesh";
import type { Database } from "@weft/mesh/data";
import type { OutboxRelay } from "@weft/mesh/events";
import { afterResult, type Move, nextMove, type SagaPolicy, type SagaState, type Transition } from "../domain/saga.ts";
import { recordOrderEvent } from "../events/order-events.ts";
import { type Schema, updateOrder } from "../store/orders.ts";
import {
  type ClaimedSaga,
  claimDueSagas,
  lockLeasedSaga,
  markedForCall,
  releaseLeases,
  type SagaLease,
  saveSaga,
} from "../store/sagas.ts";
import type { SagaExecutor } from "./executor.ts";
import type { OrderChanges } from "./order-changes.ts";
import { SagaStepSpan } from "./step-span.ts";

export interface RunnerOptions {
  db: Database<Schema>;
  relay: Pick<OutboxRelay<Schema>, "nudge">;
  executor: SagaExecutor;
  changes: OrderChanges;
  logger: Mesh["logger"];
  policy: SagaPolicy;
  /**
   * The safety poll: the longest the runner sleeps. It sleeps until the next saga falls due, and a
   * nudge (a saga placed or cancelled here) wakes it early; the poll finds what another replica
   * placed.
   */
  pollMs: number;
  /** Sagas in flight at once, per replica. */
  maxInFlight: number;
  /** How long a claim lasts: longer than a call's deadline plus persisting its outcome. */
  leaseMs: number;
}

export class SagaRunner {
  private readonly inFlight = new Map<string, { leaseToken: string; run: Promise<void> }>();
  /** The wait between rounds, cut short when a saga was placed, cancelled, or a retry falls due. */
  private readonly alarm = new Alarm();
  /** The last claim filled every free slot: more may be due, so a slot freeing up looks again. */
  private saturated = false;
  /** Slots promised to sagas being placed here (see `leaseForNew`). */
  private promised = 0;
  /** The running loop's stop signal; undefined while it does not run (or never does, on this replica). */
  private signal: AbortSignal | undefined;

  constructor(private readonly options: RunnerOptions) {}

  /** Look for due sagas now (a saga was just placed or cancelled) rather than at the next poll. */
  nudge(): void {
    this.alarm.wake();
  }

  /**
   * A lease for a saga about to be placed in this process, if this runner runs and has a slot
   * free: the saga is written already claimed, and `adopt` starts it at once, without a claim's
   * commit or a round of the loop. Every lease handed out must be given to `adopt`.
   */
  leaseForNew(): SagaLease | undefined {
    const free = this.options.maxInFlight - this.inFlight.size - this.promised;
    if (this.signal === undefined || this.signal.aborted || free <= 0) return undefined;
    this.promised++;
    return { token: randomUUID(), until: new Date(Date.now() + this.options.leaseMs) };
  }

  /**
   * Starts the saga placed with `lease`, once its transaction committed; `placed` undefined: it
   * was not placed (the transaction failed), and the slot is free again.
   */
  adopt(lease: SagaLease, placed: NewSaga | undefined): void {
    this.promised--;
    if (placed === undefined) return;
    const signal = this.signal;
    if (signal === undefined || signal.aborted) {
      // Stopped meanwhile: hand it back at once rather than let the lease lapse.
      void releaseLeases(this.options.db, [lease.token]).catch(() => {});
      return;
    }
    const move = nextMove(placed.orderId, placed.state, new Date());
    this.start({ ...placed, leaseToken: lease.token, move }, signal);
  }

  /** Runs until `signal` aborts, then waits for the steps in flight and hands back their leases. */
  async run(signal: AbortSignal): Promise<void> {
    const { logger } = this.options;
    logger.info({ pollMs: this.options.pollMs, maxInFlight: this.options.maxInFlight }, "saga runner started");
    this.signal = signal;
    while (!signal.aborted) {
      const free = this.options.maxInFlight - this.inFlight.size - this.promised;
      let nextDue: Date | undefined;
      // With every slot taken there is nothing to claim: a slot freeing up wakes the loop.
      this.saturated = free <= 0;
      if (free > 0) {
        try {
          const round = await claimDueSagas(this.options.db, {
            limit: free,
            now: new Date(),
            leaseMs: this.options.leaseMs,
            token: randomUUID(),
          });
          for (const saga of round.claimed) this.start(saga, signal);
          this.saturated = round.claimed.length === free;
          nextDue = round.nextDue;
        } catch (error) {
          if (!signal.aborted) logger.warn({ err: error }, "claiming due sagas failed; will retry");
        }
      }
      await this.alarm.sleepUntil(nextDue, this.options.pollMs, signal);
    }
    const unfinished = [...this.inFlight.values()].map((entry) => entry.leaseToken);
    await Promise.allSettled([...this.inFlight.values()].map((entry) => entry.run));
    await releaseLeases(this.options.db, unfinished).catch((error: unknown) =>
      logger.warn({ err: error }, "could not hand back saga leases; they will lapse"),
    );
    logger.info("saga runner stopped");
  }

  private start(claimed: ClaimedSaga, signal: AbortSignal): void {
    const key = claimed.leaseToken + claimed.orderId;
    const run = (async () => {
      let saga: ClaimedSaga | undefined = claimed;
      while (saga !== undefined && !signal.aborted) saga = await this.step(saga, signal);
    })()
      .catch((error: unknown) => {
        if (!signal.aborted) this.options.logger.error({ err: error, orderId: claimed.orderId }, "saga step failed");
      })
      .finally(() => {
        this.inFlight.delete(key);
        if (this.saturated) this.alarm.wake();
      });
    this.inFlight.set(key, { leaseToken: claimed.leaseToken, run });
  }

  /**
   * Runs one step of one claimed saga, in its span, and persists where it leads; resolves to the
   * saga's next step when that is due at once and still this runner's to take.
   */
  private async step(saga: ClaimedSaga, signal: AbortSignal): Promise<ClaimedSaga | undefined> {
    const { move } = saga;
    if (move.kind === "idle" || saga.order === undefined) return undefined;
    const span = new SagaStepSpan(saga.orderId, saga.state, saga.traceHeaders);
    try {
      const persisted = await span.within(() => this.take(saga, move, span, signal));
      span.end(persisted?.orderStatus);
      return persisted?.next;
    } catch (error) {
      span.fail(error);
      throw error;
    }
  }

  /** The step's work: its call, if it makes one, then persisting the outcome. */
  private async take(
    saga: ClaimedSaga,
    move: Exclude<Move, { kind: "idle" }>,
    span: SagaStepSpan,
    signal: AbortSignal,
  ): Promise<Persisted | undefined> {
    if (move.kind === "transition") {
      span.abandoned(move.transition.saga.outcome?.reason ?? "");
      return this.persist(saga, signal, (fresh, now) => {
        const again = nextMove(saga.orderId, fresh, now);
        return again.kind === "transition" ? again.transition : undefined;
      });
    }
    // The call was marked in flight when this step was claimed (or chained from the last one).
    const result = await this.options.executor.execute(move.command, saga.order!, saga.paymentMethod, signal);
    // Stopping: whatever the call did, the next runner repeats it with the same key.
    if (signal.aborted) return undefined;
    span.result(result);
    if (result.kind !== "ok") {
      this.options.logger.info(
        { orderId: saga.orderId, step: saga.state.step, attempt: saga.state.attempts + 1, result },
        "saga step did not succeed",
      );
    }
    return this.persist(saga, signal, (fresh, now) =>
      fresh.step === saga.state.step ? afterResult(fresh, result, now, this.options.policy) : undefined,
    );
  }

  /**
   * Writes, in one commit, the transition `decide` makes of the saga's current row, if this claim
   * still holds the row's lease, together with the order's change and its event; when the next
   * step is due at once, the same commit extends the lease and marks that step's call in flight.
   * Then wakes who should know. Undefined when the lease had lapsed.
   *
   * `decide` is handed the `now` that "due at once" is judged by: a step that moves on schedules
   * the next one for its own `now`, and a later clock there (a millisecond is enough) would make
   * the next step look not yet due, costing a round of the loop and a claim's commit.
   */
  private async persist(
    saga: ClaimedSaga,
    signal: AbortSignal,
    decide: (fresh: SagaState, now: Date) => Transition | undefined,
  ): Promise<Persisted | undefined> {
    const { db, logger, leaseMs } = this.options;
    const now = new Date();
    const persisted = await db.transaction(async (tx) => {
      const locked = await lockLeasedSaga(tx, saga.orderId, saga.leaseToken);
      if (locked === undefined) return undefined; // the lease lapsed and someone else took over
      const transition = decide(locked.state, now);
      if (transition === undefined) {
        await saveSaga(tx, saga.orderId, locked.state, now);
        return { transition, orderStatus: locked.orderStatus, next: undefined };
      }
      const goOn = !signal.aborted && transition.saga.step !== "done" && transition.saga.nextAttemptAt <= now;
      const nextMoveOf = goOn ? nextMove(saga.orderId, transition.saga, now) : undefined;
      if (nextMoveOf === undefined) {
        await saveSaga(tx, saga.orderId, transition.saga, now);
      } else {
        const written = nextMoveOf.kind === "call" ? markedForCall(transition.saga) : transition.saga;
        await saveSaga(tx, saga.orderId, written, now, new Date(now.getTime() + leaseMs));
      }
      if (transition.order !== undefined || transition.paymentId !== undefined) {
        const order = await updateOrder(
          tx,
          saga.orderId,
          {
            ...(transition.order ? { status: transition.order.status, statusReason: transition.order.reason } : {}),
            ...(transition.paymentId !== undefined ? { paymentId: transition.paymentId } : {}),
          },
          now,
        );
        if (order !== undefined && transition.event !== undefined) {
          await recordOrderEvent(tx, transition.event, order, {
            refunded: transition.saga.paymentState === "refunded",
          });
        }
      }
      const next: ClaimedSaga | undefined =
        nextMoveOf === undefined ? undefined : { ...saga, state: transition.saga, move: nextMoveOf };
      return { transition, orderStatus: transition.order?.status ?? locked.orderStatus, next };
    });
    if (persisted === undefined) return undefined;
    const applied = persisted.transition;
    if (applied !== undefined) {
      if (applied.event !== undefined) {
        this.options.relay.nudge();
        logger.info(
          { orderId: saga.orderId, status: applied.order?.status, reason: applied.order?.reason },
          "saga finished a phase",
        );
      }
      if (applied.order !== undefined || applied.paymentId !== undefined) this.options.changes.changed(saga.orderId);
      // A retry later on: the loop may be sleeping past it.
      if (applied.saga.step !== "done" && persisted.next === undefined) this.alarm.dueAt(applied.saga.nextAttemptAt);
    }
    return { orderStatus: persisted.orderStatus, next: persisted.next };
  }
}

/** A saga just placed in this process under a lease from `leaseForNew`: all a claim would read. */
export type NewSaga = Omit<ClaimedSaga, "leaseToken" | "move">;

/** What persisting a step came to: the order's status after it, and the step to go on with. */
interface Persisted {
  orderStatus: string;
  next: ClaimedSaga | undefined;
}
