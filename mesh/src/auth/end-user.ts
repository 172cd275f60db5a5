import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, errors as joseErrors, jwtVerify } from "jose";
import type { CallContext } from "../rpc/binding.ts";
import { Code, RpcError } from "../rpc/errors.ts";
import { createLogger } from "../telemetry/logger.ts";

/** The end user a call is made for, as a verified access token says. */
export interface EndUser {
  /** The token's `sub`. */
  readonly id: string;
  readonly role: string;
  readonly email: string | undefined;
  readonly claims: JWTPayload;
}

/** What the verifier logs through: a pino Logger fits. */
export interface VerifierLog {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

export interface TokenVerifierOptions {
  /** Fetches the issuer's current JSON Web Key Set (e.g. over the mesh from the identity service). */
  fetchJwks: () => Promise<JSONWebKeySet>;
  issuer: string;
  audience: string;
  /** Asymmetric algorithms accepted; `none` and HMAC never are. Default ES256 and EdDSA. */
  algorithms?: string[];
  /** How long a fetched key set is fresh; after that it is fetched again in the background. Default 5 minutes. */
  cacheMs?: number;
  /**
   * How long the last key set fetched keeps verifying tokens while the issuer cannot be reached
   * (it keeps being retried with backoff). Past this, calls fail UNAVAILABLE. Default 6 hours.
   */
  maxStaleMs?: number;
  /** First and longest wait between failed fetches. Default 1 s and 60 s. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Where failed and recovered fetches are told. Default: a logger of its own. */
  logger?: VerifierLog;
  /** The clock; tests move it. */
  now?: () => number;
}

/** When a token names a key the cache lacks, the set is fetched again at most this often. */
const unknownKeyRefetchMs = 1_000;

/**
 * Verifies end-user access tokens locally against the issuer's keys: signature, `exp`/`nbf`,
 * `iss`, `aud`, algorithm allow-list. Keys are cached, fetched again in the background once
 * `cacheMs` old, and fetched at once when a token names a `kid` the cache does not have (the
 * issuer rotated), at most once per second. When the issuer is down, the last good key set keeps
 * verifying for up to `maxStaleMs` while fetches are retried with exponential backoff: an
 * identity outage does not fail every authenticated call.
 */
export class TokenVerifier {
  private keys: ReturnType<typeof createLocalJWKSet> | undefined;
  /** When the cached set was fetched. */
  private fetchedAt = 0;
  /** When a fetch was last started, and before when none may start (backoff after failures). */
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private retryAt = 0;
  private failures = 0;
  private refreshing: Promise<void> | undefined;
  private readonly now: () => number;
  private logger: VerifierLog | undefined;

  constructor(private readonly options: TokenVerifierOptions) {
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
  }

  async verify(token: string): Promise<EndUser> {
    const keys = await this.usableKeys();
    try {
      return await this.verifyWith(keys, token);
    } catch (error) {
      if (!(error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
      const now = this.now();
      if (now - this.attemptedAt < unknownKeyRefetchMs || now < this.retryAt) throw error;
      // A key we have not seen: the issuer may have rotated. Without the issuer, the token
      // cannot be verified — that is the token's problem (UNAUTHENTICATED), not an outage.
      await this.refresh().catch(() => {
        throw error;
      });
      return this.verifyWith(this.keys!, token);
    }
  }

  /** The verified end user of an incoming call, from its `authorization: Bearer …` header. */
  async userOf(context: Pick<CallContext, "metadata">): Promise<EndUser> {
    const header = context.metadata.get("authorization")[0];
    const token = typeof header === "string" ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
    if (token === undefined) throw new RpcError(Code.UNAUTHENTICATED, "a bearer access token is required");
    try {
      return await this.verify(token);
    } catch (error) {
      if (error instanceof RpcError) throw error;
      if (error instanceof joseErrors.JOSEError) {
        throw new RpcError(Code.UNAUTHENTICATED, `invalid access token: ${error.code}`, { cause: error });
      }
      throw error;
    }
  }

  /** Fresh keys, or stale ones within maxStaleMs (refreshed in the background), or a fetch now. */
  private async usableKeys(): Promise<ReturnType<typeof createLocalJWKSet>> {
    const age = this.now() - this.fetchedAt;
    if (this.keys !== undefined && age <= (this.options.cacheMs ?? 300_000)) return this.keys;
    if (this.keys !== undefined && age <= (this.options.maxStaleMs ?? 6 * 3_600_000)) {
      if (this.now() >= this.retryAt) this.refresh().catch(() => {});
      return this.keys;
    }
    if (this.now() < this.retryAt) {
      throw new RpcError(Code.UNAVAILABLE, "cannot fetch the token issuer's keys (retrying later)");
    }
    await this.refresh();
    return this.keys!;
  }

  private async verifyWith(keys: ReturnType<typeof createLocalJWKSet>, token: string): Promise<EndUser> {
    const { payload } = await jwtVerify(token, keys, {
      issuer: this.options.issuer,
      audience: this.options.audience,
      algorithms: this.options.algorithms ?? ["ES256", "EdDSA"],
      requiredClaims: ["sub", "exp"],
    });
    return {
      id: payload.sub!,
      role: typeof payload.role === "string" ? payload.role : "",
      email: typeof payload.email === "string" ? payload.email : undefined,
      claims: payload,
    };
  }

  /** One fetch at a time; a failure keeps the cached keys and schedules the next try. */
  private refresh(): Promise<void> {
    if (this.refreshing === undefined) {
      const attempt = this.fetchOnce();
      this.refreshing = attempt;
      attempt
        .finally(() => {
          if (this.refreshing === attempt) this.refreshing = undefined;
        })
        .catch(() => {});
    }
    return this.refreshing;
  }

  private async fetchOnce(): Promise<void> {
    this.attemptedAt = this.now();
    try {
      const keys = createLocalJWKSet(await this.options.fetchJwks());
      if (this.failures > 0) this.log().info({ failures: this.failures }, "token issuer's keys fetched again");
      this.keys = keys;
      this.fetchedAt = this.now();
      this.failures = 0;
      this.retryAt = 0;
    } catch (error) {
      this.failures += 1;
      const retryMinMs = this.options.retryMinMs ?? 1_000;
      const backoffMs = Math.min(this.options.retryMaxMs ?? 60_000, retryMinMs * 2 ** (this.failures - 1));
      this.retryAt = this.now() + backoffMs;
      this.log().warn(
        {
          err: error,
          failures: this.failures,
          retry_in_ms: backoffMs,
          cached_keys_age_ms: this.keys === undefined ? undefined : this.now() - this.fetchedAt,
        },
        this.keys === undefined
          ? "cannot fetch the token issuer's keys: authenticated calls fail until it answers"
          : "cannot fetch the token issuer's keys: verifying with the last keys fetched",
      );
      throw new RpcError(Code.UNAVAILABLE, "cannot fetch the token issuer's keys", { cause: error });
    }
  }

  private log(): VerifierLog {
    this.logger ??= createLogger({ service: "token-verifier" });
    return this.logger;
  }
}

/** Refuses a user without the given role: PERMISSION_DENIED. */
export function requireRole(user: EndUser, role: string): void {
  if (user.role !== role) throw new RpcError(Code.PERMISSION_DENIED, `requires the ${role} role`);
}
