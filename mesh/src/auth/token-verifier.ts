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

export type { EndUser } from "../rpc/binding.ts";

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
  /** How long a fetched key set is trusted before it is fetched again. Default 5 minutes. */
  cacheMs?: number;
}

/**
 * Verifies end-user access tokens locally against the issuer's keys: signature, `exp`/`nbf`,
 * `iss`, `aud`, algorithm allow-list. Keys are cached and fetched again when a token names a
 * `kid` the cache does not have (the issuer rotated), at most once per second.
 */
export class TokenVerifier {
  private readonly remote: JWTVerifyGetKey | undefined;
  private keys: ReturnType<typeof createLocalJWKSet> | undefined;
  private fetchedAt = 0;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly options: TokenVerifierOptions) {
    // jose's remote key set caches, refetches on an unknown kid and rate-limits that by itself.
    this.remote =
      "jwksUrl" in options.keys
        ? createRemoteJWKSet(new URL(options.keys.jwksUrl), { cacheMaxAge: options.cacheMs ?? 300_000 })
        : undefined;
  }

  /** Verifies a token; throws jose's errors for one that does not verify. */
  async verify(token: string): Promise<EndUser> {
    if (this.remote) return this.verifyWith(token, this.remote);
    try {
      return await this.verifyWithCachedKeys(token);
    } catch (error) {
      if (error instanceof joseErrors.JWKSNoMatchingKey && Date.now() - this.fetchedAt > 1_000) {
        await this.refresh();
        return this.verifyWithCachedKeys(token);
      }
      throw error;
    }
  }

  /**
   * The end user an `authorization` header names: undefined without a header; UNAUTHENTICATED for
   * one that is not a bearer token or whose token does not verify; UNAVAILABLE when the issuer's
   * keys cannot be fetched.
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

  private async verifyWithCachedKeys(token: string): Promise<EndUser> {
    if (this.keys === undefined || Date.now() - this.fetchedAt > (this.options.cacheMs ?? 300_000)) {
      await this.refresh();
    }
    return this.verifyWith(token, this.keys!);
  }

  private async verifyWith(token: string, keys: JWTVerifyGetKey): Promise<EndUser> {
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

  private refresh(): Promise<void> {
    const keys = this.options.keys;
    if (!("fetchJwks" in keys)) return Promise.resolve();
    this.refreshing ??= keys
      .fetchJwks()
      .then((jwks) => {
        this.keys = createLocalJWKSet(jwks);
        this.fetchedAt = Date.now();
      })
      .catch((error: unknown) => {
        throw new RpcError(Code.UNAVAILABLE, "cannot fetch the token issuer's keys", { cause: error });
      })
      .finally(() => {
        this.refreshing = undefined;
      });
    return this.refreshing;
  }
}

/** Refuses a user without the given role: PERMISSION_DENIED. */
export function requireRole(user: EndUser, role: string): void {
  if (user.role !== role) throw new RpcError(Code.PERMISSION_DENIED, `requires the ${role} role`);
}
