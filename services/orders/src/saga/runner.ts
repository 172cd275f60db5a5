// The saga runner: a background loop that claims due sagas (several replicas may run it; the
// claim skips rows another holds), runs one step of each, and persists the step's outcome with
// the order change and its event in one transaction. Everything it knows is in the database, so
// a restart (or kill -9) loses nothing: unfinished sagas are claimed again once their lease lapses.
import { randomUUID } from "node:crypto";
import { Alarm, type Mesh } from "@weft/mesh";
import type { Database } from "@weft/mesh/data";
import type { OutboxRelay } from "@weft/mesh/events";
import { afterResult, type Move, nextMove, type SagaPolicy, type SagaState, type Transition } from "../domain/saga.ts";
import { recordOrderEvent } from "../events/order-events.ts";
import { findOrder, type Schema, updateOrder } from "../store/orders.ts";
import {
  type ClaimedSaga,
  claimDueSagas,
  lockLeasedSaga,
  markInFlight,
  releaseLeases,
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
  /** The wait between rounds, cut short when a saga was placed, cancelled, or a step freed a slot. */
  private readonly alarm = new Alarm();

  constructor(private readonly options: RunnerOptions) {}

  /** Look for due sagas now (a saga was just placed or cancelled) rather than at the next poll. */
  nudge(): void {
    this.alarm.wake();
  }

  /** Runs until `signal` aborts, then waits for the steps in flight and hands back their leases. */
  async run(signal: AbortSignal): Promise<void> {
    const { logger } = this.options;
    logger.info({ pollMs: this.options.pollMs, maxInFlight: this.options.maxInFlight }, "saga runner started");
    while (!signal.aborted) {
      const free = this.options.maxInFlight - this.inFlight.size;
      let nextDue: Date | undefined;
      // With every slot taken there is nothing to claim: a finishing step wakes the loop.
      if (free > 0) {
        try {
          const round = await claimDueSagas(this.options.db, {
            limit: free,
            now: new Date(),
            leaseMs: this.options.leaseMs,
            token: randomUUID(),
          });
          for (const saga of round.claimed) this.start(saga, signal);
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

  private start(saga: ClaimedSaga, signal: AbortSignal): void {
    const key = saga.leaseToken + saga.orderId;
    const run = this.step(saga, signal)
      .catch((error: unknown) => {
        if (!signal.aborted) this.options.logger.error({ err: error, orderId: saga.orderId }, "saga step failed");
      })
      .finally(() => {
        this.inFlight.delete(key);
        this.alarm.wake();
      });
    this.inFlight.set(key, { leaseToken: saga.leaseToken, run });
  }

  /** Runs one step of one claimed saga, in its span, and persists where it leads. */
  private async step(saga: ClaimedSaga, signal: AbortSignal): Promise<void> {
    const move = nextMove(saga.orderId, saga.state, new Date());
    if (move.kind === "idle") return;
    const span = new SagaStepSpan(saga.orderId, saga.state, saga.traceHeaders);
    try {
      span.end(await span.within(() => this.take(saga, move, span, signal)));
    } catch (error) {
      span.fail(error);
      throw error;
    }
  }

  /** The step's work; resolves to the order's status once its outcome was persisted, if it was. */
  private async take(
    saga: ClaimedSaga,
    move: Exclude<Move, { kind: "idle" }>,
    span: SagaStepSpan,
    signal: AbortSignal,
  ): Promise<string | undefined> {
    if (move.kind === "transition") {
      span.abandoned(move.transition.saga.outcome?.reason ?? "");
      return this.persist(saga, (fresh) => {
        const again = nextMove(saga.orderId, fresh, new Date());
        return again.kind === "transition" ? again.transition : undefined;
      });
    }
    const order = await findOrder(this.options.db, saga.orderId);
    if (order === undefined) return undefined;
    // Written before calling: if this process dies mid-call, the next runner knows to find out.
    // A call still marked in flight from a runner that died may have taken effect: remember the doubt.
    const leftover = saga.state.inFlight && (saga.state.step === "reserve" || saga.state.step === "charge");
    if (!(await markInFlight(this.options.db, saga.orderId, saga.leaseToken, leftover))) return undefined;
    const result = await this.options.executor.execute(move.command, order, saga.paymentMethod, signal);
    // Stopping: whatever the call did, the next runner repeats it with the same key.
    if (signal.aborted) return undefined;
    span.result(result);
    if (result.kind !== "ok") {
      this.options.logger.info(
        { orderId: saga.orderId, step: saga.state.step, attempt: saga.state.attempts + 1, result },
        "saga step did not succeed",
      );
    }
    return this.persist(saga, (fresh) =>
      fresh.step === saga.state.step ? afterResult(fresh, result, new Date(), this.options.policy) : undefined,
    );
  }

  /**
   * Writes the transition `decide` makes of the saga's current row, if this claim still holds the
   * row's lease, together with the order's change and its event; then wakes who should know.
   * Resolves to the order's status after the write, or undefined when the lease had lapsed.
   */
  private async persist(
    saga: ClaimedSaga,
    decide: (fresh: SagaState) => Transition | undefined,
  ): Promise<string | undefined> {
    const { db, logger } = this.options;
    const now = new Date();
    const persisted = await db.transaction(async (tx) => {
      const locked = await lockLeasedSaga(tx, saga.orderId, saga.leaseToken);
      if (locked === undefined) return undefined; // the lease lapsed and someone else took over
      const transition = decide(locked.state);
      if (transition === undefined) {
        await saveSaga(tx, saga.orderId, locked.state, now);
        return { transition, orderStatus: locked.orderStatus };
      }
      await saveSaga(tx, saga.orderId, transition.saga, now);
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
      return { transition, orderStatus: transition.order?.status ?? locked.orderStatus };
    });
    if (persisted === undefined) return undefined;
    const applied = persisted.transition;
    if (applied === undefined) return persisted.orderStatus;
    if (applied.event !== undefined) {
      this.options.relay.nudge();
      logger.info(
        { orderId: saga.orderId, status: applied.order?.status, reason: applied.order?.reason },
        "saga finished a phase",
      );
    }
    if (applied.order !== undefined || applied.paymentId !== undefined) this.options.changes.changed(saga.orderId);
    // A retry later on: the loop may be sleeping past it.
    if (applied.saga.step !== "done") this.alarm.dueAt(applied.saga.nextAttemptAt);
    return persisted.orderStatus;
  }
}
