import { Code, RpcError } from "@weft/mesh";
import { RetryInfoSchema } from "@weft/mesh/contracts";

export interface RateLimitSettings {
  ipRatePerSecond: number;
  ipBurst: number;
  userRatePerSecond: number;
  userBurst: number;
}

/**
 * Limits per client IP (before anything else runs) and per authenticated user: `burst` requests
 * per window of burst/rate seconds (at least one). Refusals are RESOURCE_EXHAUSTED carrying the
 * seconds to wait, which the REST side sends as 429 with Retry-After. Admitting is synchronous:
 * one map lookup and a counter, with no promise or result object per request.
 */
export class EdgeRateLimits {
  private readonly perIp: FixedWindows;
  private readonly perUser: FixedWindows;

  constructor(settings: RateLimitSettings) {
    this.perIp = windowsOf(settings.ipRatePerSecond, settings.ipBurst);
    this.perUser = windowsOf(settings.userRatePerSecond, settings.userBurst);
  }

  /** Throws RESOURCE_EXHAUSTED when this client address is over its limit. */
  admitIp(ip: string): void {
    admit(this.perIp, ip, "client address");
  }

  /** Throws RESOURCE_EXHAUSTED when this user is over its limit. */
  admitUser(userId: string): void {
    admit(this.perUser, userId, "user");
  }

  /** Stops the sweeps (the edge has closed). */
  close(): void {
    this.perIp.stop();
    this.perUser.stop();
  }
}

function windowsOf(ratePerSecond: number, burst: number): FixedWindows {
  return new FixedWindows(burst, Math.max(1, Math.ceil(burst / ratePerSecond)) * 1_000);
}

function admit(windows: FixedWindows, key: string, who: string): void {
  const waitMs = windows.take(key);
  if (waitMs !== undefined) throw rateLimited(Math.max(1, Math.ceil(waitMs / 1000)), who);
}

interface Window {
  taken: number;
  endsAt: number;
}

/**
 * `points` per key per window of `windowMs`, the window starting with a key's first request (a
 * fixed window, as rate-limiter-flexible's memory limiter counts). Ended windows are dropped by a
 * sweep every window length, so an idle client costs nothing after at most two windows.
 */
export class FixedWindows {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly points: number,
    private readonly windowMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.sweeper = setInterval(() => this.sweep(), windowMs);
    this.sweeper.unref();
  }

  /** Counts one request; undefined when admitted, else the ms until the key's window ends. */
  take(key: string): number | undefined {
    const now = this.now();
    let window = this.windows.get(key);
    if (window === undefined || window.endsAt <= now) {
      window = { taken: 0, endsAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.taken++;
    return window.taken > this.points ? window.endsAt - now : undefined;
  }

  get size(): number {
    return this.windows.size;
  }

  /** Drops ended windows; exposed for tests that drive the clock. */
  sweep(): void {
    const now = this.now();
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }

  stop(): void {
    clearInterval(this.sweeper);
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
