import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type IPolicy,
  wrap,
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
  const policy: IPolicy = wrap(bulkhead(options.bulkheadLimit, options.bulkheadQueue), breaker);
  return {
    breaker,
    async run(method, attempt) {
      try {
        return await policy.execute(async () => {
          const started = performance.now();
          try {
            return await attempt();
          } catch (error) {
            const quick = performance.now() - started < minimumTellingDeadlineMs;
            if (quick && error instanceof RpcError && error.code === Code.DEADLINE_EXCEEDED) notTelling.add(error);
            throw error;
          }
        });
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
