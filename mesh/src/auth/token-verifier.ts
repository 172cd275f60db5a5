import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from "jose";
import type { EndUser } from "../rpc/binding.ts";
import { Code, RpcError } from "../rpc/errors.ts";
import { createLogger } from "../telemetry/logger.ts";

export type { EndUser } from "../rpc/binding.ts";

/** What the verifier logs through: a pino Logger fits. */
export interface VerifierLog {
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
}

export interface TokenVerifierOptions {
  /**
   * Where the issuer's keys come from: a function fetching its JSON Web Key Set (e.g. an RPC of an
   * app service, over the mesh), or the URL an OIDC issuer publishes it at.
   */
  keys: { fetchJwks: () => Promise<JSONWebKeySet> } | { jwksUrl: string };
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

type LocalKeys = ReturnType<typeof createLocalJWKSet>;

/**
 * Verifies end-user access tokens locally against the issuer's keys: signature, `exp`/`nbf`,
 * `iss`, `aud`, algorithm allow-list. Keys are cached, fetched again in the background once
 * `cacheMs` old, and fetched at once when a token names a `kid` the cache does not have (the
 * issuer rotated), at most once per second. When the issuer is down, the last good key set keeps
 * verifying for up to `maxStaleMs` while fetches are retried with exponential backoff: an
 * identity outage does not fail every authenticated call.
 */
export class TokenVerifier {
  private readonly remote: JWTVerifyGetKey | undefined;
  private keys: LocalKeys | undefined;
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
    // jose's remote key set caches, refetches on an unknown kid and rate-limits that by itself.
    this.remote =
      "jwksUrl" in options.keys
        ? createRemoteJWKSet(new URL(options.keys.jwksUrl), { cacheMaxAge: options.cacheMs ?? 300_000 })
        : undefined;
  }

  /** Verifies a token; throws jose's errors for one that does not verify. */
  async verify(token: string): Promise<EndUser> {
    if (this.remote) return this.verifyWith(this.remote, token);
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

  /**
   * The end user an `authorization` header names: undefined without a header; UNAUTHENTICATED for
   * one that is not a bearer token or whose token does not verify; UNAVAILABLE when the issuer's
   * keys cannot be fetched (and no recent ones are cached).
   */
  async authenticate(authorization: string | undefined): Promise<EndUser | undefined> {
    if (authorization === undefined || authorization === "") return undefined;
    const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (token === undefined)
      throw new RpcError(Code.UNAUTHENTICATED, "the authorization header must be a bearer token");
    try {
      return await this.verify(token);
    } catch (error) {
      if (error instanceof RpcError) throw error;
      if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) {
        throw new RpcError(Code.UNAVAILABLE, "cannot fetch the token issuer's keys", { cause: error });
      }
      if (error instanceof joseErrors.JOSEError) {
        throw new RpcError(Code.UNAUTHENTICATED, `invalid access token: ${error.code}`, { cause: error });
      }
      // The remote key set failing to fetch (network, HTTP status) is the issuer's outage, not the token's fault.
      if (this.remote) throw new RpcError(Code.UNAVAILABLE, "cannot fetch the token issuer's keys", { cause: error });
      throw error;
    }
  }

  /** Fresh keys, or stale ones within maxStaleMs (refreshed in the background), or a fetch now. */
  private async usableKeys(): Promise<LocalKeys> {
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

  private async verifyWith(keys: JWTVerifyGetKey, token: string): Promise<EndUser> {
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
    const source = this.options.keys;
    if (!("fetchJwks" in source)) return;
    this.attemptedAt = this.now();
    try {
      const keys = createLocalJWKSet(await source.fetchJwks());
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
