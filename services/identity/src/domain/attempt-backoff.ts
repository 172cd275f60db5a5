/**
 * Exponential backoff for attempts on one account (logins) or one email (sign-ups), each of
 * which costs a full scrypt. The first `freeAttempts` failures cost nothing; after that each
 * further attempt must wait `baseDelayMs`, doubled per failure, up to `maxDelayMs`. Attempts made
 * while locked are refused without being counted (they cost no hash, and counting them would let
 * anyone keep an account locked for ever by asking often). A quiet spell of `forgetAfterMs` after
 * the last counted attempt starts the account afresh.
 *
 * Attempts are counted as failures in advance, when admitted, and a success clears the count: so
 * a burst of concurrent attempts cannot all slip through before the first failure is recorded.
 * The wait runs from the end of a failed attempt (`lockAfter`), not from its start: otherwise the
 * hash itself, slower than the first waits, would use them up.
 */
export interface BackoffPolicy {
  readonly freeAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly forgetAfterMs: number;
}

export interface AttemptState {
  /** Attempts counted (failed, or under way) since the last success or the last fresh start. */
  readonly failures: number;
  /** No attempt is admitted before this. */
  readonly lockedUntil: Date;
  readonly lastAttemptAt: Date;
}

export type Admission =
  | { readonly admitted: true; readonly next: AttemptState }
  | { readonly admitted: false; readonly retryAfterMs: number };

/** The lock that follows the `failures`-th counted attempt. */
export function backoffDelayMs(failures: number, policy: BackoffPolicy): number {
  if (failures <= policy.freeAttempts) return 0;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - policy.freeAttempts - 1));
}

/** Whether an attempt may run now; if so, the state to record before running it. */
export function admitAttempt(state: AttemptState | undefined, now: Date, policy: BackoffPolicy): Admission {
  const current = state !== undefined && isRemembered(state, now, policy) ? state : undefined;
  if (current !== undefined && now.getTime() < current.lockedUntil.getTime()) {
    return { admitted: false, retryAfterMs: current.lockedUntil.getTime() - now.getTime() };
  }
  const failures = (current?.failures ?? 0) + 1;
  return {
    admitted: true,
    next: { failures, lockedUntil: new Date(now.getTime() + backoffDelayMs(failures, policy)), lastAttemptAt: now },
  };
}

/** The state once a counted attempt has failed at `now`: locked for its delay from now on. */
export function lockAfter(state: AttemptState, now: Date, policy: BackoffPolicy): AttemptState {
  const until = Math.max(state.lockedUntil.getTime(), now.getTime() + backoffDelayMs(state.failures, policy));
  return { ...state, lockedUntil: new Date(until) };
}

/** Whether the state still matters at `now`; forgotten states can be deleted. */
export function isRemembered(state: AttemptState, now: Date, policy: BackoffPolicy): boolean {
  return (
    now.getTime() - state.lastAttemptAt.getTime() < policy.forgetAfterMs || now.getTime() < state.lockedUntil.getTime()
  );
}
