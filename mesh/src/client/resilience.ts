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

/** Codes that say the upstream, not the request, is in trouble: only these trip the breaker. */
const upstreamFailures = new Set<Code>([Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED, Code.INTERNAL, Code.UNKNOWN]);

export function isUpstreamFailure(error: unknown): boolean {
  return error instanceof RpcError && upstreamFailures.has(error.code);
}

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
  const breaker = circuitBreaker(handleWhen(isUpstreamFailure), {
    halfOpenAfter: options.breakerHalfOpenMs,
    breaker: new ConsecutiveBreaker(options.breakerThreshold),
  });
  const policy: IPolicy = wrap(bulkhead(options.bulkheadLimit, options.bulkheadQueue), breaker);
  return {
    breaker,
    async run(method, attempt) {
      try {
        return await policy.execute(() => attempt());
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
