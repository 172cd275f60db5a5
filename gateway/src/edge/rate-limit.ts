import { Code, RpcError } from "@weft/mesh";
import { RetryInfoSchema } from "@weft/mesh/contracts";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

export interface RateLimitSettings {
  ipRatePerSecond: number;
  ipBurst: number;
  userRatePerSecond: number;
  userBurst: number;
}

/**
 * Token buckets per client IP (before anything else runs) and per authenticated user: a bucket
 * of `burst` tokens refilled at `rate` per second. Refusals are RESOURCE_EXHAUSTED carrying the
 * seconds to wait, which the REST side sends as 429 with Retry-After.
 */
export class EdgeRateLimits {
  private readonly perIp: RateLimiterMemory;
  private readonly perUser: RateLimiterMemory;

  constructor(settings: RateLimitSettings) {
    this.perIp = bucket(settings.ipRatePerSecond, settings.ipBurst);
    this.perUser = bucket(settings.userRatePerSecond, settings.userBurst);
  }

  admitIp(ip: string): Promise<void> {
    return consume(this.perIp, ip, "client address");
  }

  admitUser(userId: string): Promise<void> {
    return consume(this.perUser, userId, "user");
  }
}

/** A bucket as rate-limiter-flexible models it: `burst` points, regained over burst/rate seconds. */
function bucket(ratePerSecond: number, burst: number): RateLimiterMemory {
  return new RateLimiterMemory({ points: burst, duration: Math.max(1, Math.ceil(burst / ratePerSecond)) });
}

async function consume(limiter: RateLimiterMemory, key: string, who: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    throw rateLimited(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)), who);
  }
}

export const retryAfterKey = "retry-after";

/**
 * The seconds a refused client should wait, as the `Retry-After` header says it: from the edge's
 * own limits (the `retry-after` metadata) or from an upstream's google.rpc.RetryInfo (identity's
 * login backoff, say), rounded up to whole seconds.
 */
export function retryAfterOf(error: RpcError): string | undefined {
  const own = error.metadata.get(retryAfterKey)[0];
  if (typeof own === "string") return own;
  const delay = error.findDetail(RetryInfoSchema)?.retryDelay;
  if (delay === undefined) return undefined;
  return String(Math.max(1, Math.ceil(Number(delay.seconds) + delay.nanos / 1e9)));
}

function rateLimited(seconds: number, who: string): RpcError {
  const error = new RpcError(Code.RESOURCE_EXHAUSTED, `rate limit exceeded for this ${who}; retry in ${seconds} s`);
  error.metadata.set(retryAfterKey, String(seconds));
  return error;
}
