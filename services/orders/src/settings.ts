// The orders service's own settings, read once at start from the environment (its upstreams
// come from its manifest: services/orders/weft.yaml `calls:`, found at <NAME>_ADDR).
import { boolean, type Env, integer, readSettings } from "@weft/mesh";

export interface OrdersSettings {
  /** A forward step failing transiently for longer than this compensates and rejects the order. */
  stepTimeoutSeconds: number;
  /**
   * The runner's safety poll: it sleeps until the next saga falls due and is nudged by PlaceOrder
   * and CancelOrder, so this only bounds how late it sees a saga another replica placed.
   */
  pollIntervalMs: number;
  maxInFlight: number;
  /** Deadline of each saga call to inventory or payments. */
  callTimeoutMs: number;
  /** How long a runner's claim on a saga lasts; a crashed replica's sagas resume after this. */
  leaseMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  reservationTtlSeconds: number;
  /** Off: this replica serves the API only and leaves the sagas to others (and to tests). */
  runnerEnabled: boolean;
  watchPollMs: number;
  cancelWaitMs: number;
}

export function readOrdersSettings(env: Env): OrdersSettings {
  return readSettings<OrdersSettings>(
    {
      stepTimeoutSeconds: ["SAGA_STEP_TIMEOUT_SECONDS", integer(30, 1, 86_400)],
      pollIntervalMs: ["SAGA_POLL_INTERVAL_MS", integer(30_000, 10, 600_000)],
      maxInFlight: ["SAGA_MAX_IN_FLIGHT", integer(16, 1, 1_000)],
      callTimeoutMs: ["SAGA_CALL_TIMEOUT_MS", integer(5_000, 50, 120_000)],
      leaseMs: ["SAGA_LEASE_MS", integer(15_000, 100, 600_000)],
      backoffBaseMs: ["SAGA_BACKOFF_BASE_MS", integer(200, 1, 60_000)],
      backoffMaxMs: ["SAGA_BACKOFF_MAX_MS", integer(5_000, 1, 600_000)],
      reservationTtlSeconds: ["RESERVATION_TTL_SECONDS", integer(900, 60, 86_400)],
      runnerEnabled: ["SAGA_RUNNER_ENABLED", boolean(true)],
      watchPollMs: ["WATCH_POLL_MS", integer(200, 10, 10_000)],
      cancelWaitMs: ["CANCEL_WAIT_MS", integer(3_000, 0, 30_000)],
    },
    env,
  );
}
