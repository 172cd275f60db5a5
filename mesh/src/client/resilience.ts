import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from "cockatiel";
import type { MethodInfo } from "../rpc/binding.ts";
import { Code, RpcError } from "../rpc/errors.ts";
import { statusClassOf } from "../rpc/status-classes.ts";

/**
 * Whether a failed call says the upstream, not the request, is in trouble: only these trip the
 * breaker. A refusal (INVALID_ARGUMENT, NOT_FOUND…) and even an INTERNAL answer came from an
 * upstream that is up and answering; counting them would let anyone open the breaker for
 * everyone with a few bad requests.
 */
export function isUpstreamFailure(error: unknown): boolean {
  return error instanceof RpcError && statusClassOf(error.code) === "unhealthy";
}

/**
 * A deadline that expired sooner than this says more about the caller's budget than about the
 * upstream (a client at the edge may ask for 1 ms): such a DEADLINE_EXCEEDED does not count.
 */
export const minimumTellingDeadlineMs = 250;

export interface ResilienceOptions {
  /** Names the upstream in errors and logs. */
  upstream: string;
  breakerThreshold: number;
  breakerHalfOpenMs: number;
  bulkheadLimit: number;
  bulkheadQueue: number;
}

/** A circuit breaker inside a bulkhead for one upstream, as a transport guard. */
export interface UpstreamGuard {
  readonly breaker: CircuitBreakerPolicy;
  run<T>(method: MethodInfo, attempt: () => Promise<T>): Promise<T>;
}

/**
 * The bulkhead bounds how many calls wait on a slow upstream; the breaker stops calling one that
 * keeps failing and lets a single probe through after `breakerHalfOpenMs`. Both answer the
 * caller at once with UNAVAILABLE, which callers and retries already treat as transient.
 */
export function createUpstreamGuard(options: ResilienceOptions): UpstreamGuard {
  // Failures that look like the upstream's but are the caller's doing (a tiny deadline).
  const notTelling = new WeakSet<object>();
  const breaker = circuitBreaker(
    handleWhen((error) => isUpstreamFailure(error) && !notTelling.has(error as object)),
    {
      halfOpenAfter: options.breakerHalfOpenMs,
      breaker: new ConsecutiveBreaker(options.breakerThreshold),
    },
  );
  const limit = bulkhead(options.bulkheadLimit, options.bulkheadQueue);
  // Whether the breaker holds failures not yet cleared by a success: told by its own events, which
  // fire as it counts. While it holds none and stays closed, a success would change nothing in it.
  let failing = false;
  breaker.onFailure(({ handled }) => {
    if (handled) failing = true;
  });
  breaker.onSuccess(() => {
    failing = false;
  });

  /** Marks a too-quick DEADLINE_EXCEEDED as not telling (see above). */
  const classify = (error: unknown, started: number): void => {
    const quick = performance.now() - started < minimumTellingDeadlineMs;
    if (quick && error instanceof RpcError && error.code === Code.DEADLINE_EXCEEDED) notTelling.add(error);
  };

  /** The attempt as the breaker runs it when it must: failures classified before it counts them. */
  const timed = async <T>(attempt: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await attempt();
    } catch (error) {
      classify(error, started);
      throw error;
    }
  };

  /** A failure of the fast path, counted by the breaker exactly as if the call had gone through it. */
  const countFailure = async (error: unknown, started: number): Promise<never> => {
    classify(error, started);
    if (isUpstreamFailure(error)) await breaker.execute(() => Promise.reject(error)).catch(() => undefined);
    throw error;
  };

  /**
   * The breaker's part. Closed and holding no failures (the usual case), the attempt runs as is —
   * no wrapper, no extra promise on success — and only a failure is handed to the breaker;
   * otherwise (failures held, open, half-open) the call goes through it.
   */
  const throughBreaker = <T>(attempt: () => Promise<T>): Promise<T> => {
    if (failing || breaker.state !== CircuitState.Closed) return breaker.execute(() => timed(attempt));
    const started = performance.now();
    return attempt().catch((error: unknown) => countFailure(error, started));
  };

  return {
    breaker,
    async run(method, attempt) {
      try {
        // The bulkhead always holds a slot for the call; under its limit that is a counter.
        return await limit.execute(() => throughBreaker(attempt));
      } catch (error) {
        if (error instanceof BrokenCircuitError) {
          throw new RpcError(Code.UNAVAILABLE, `circuit open: ${options.upstream} is failing, ${method.name} not sent`);
        }
        if (error instanceof BulkheadRejectedError) {
          throw new RpcError(
            Code.UNAVAILABLE,
            `too many calls in flight to ${options.upstream}, ${method.name} not sent`,
          );
        }
        throw error;
      }
    },
  };
}
