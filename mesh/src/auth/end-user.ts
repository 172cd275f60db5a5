import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, errors as joseErrors, jwtVerify } from "jose";
import type { CallContext } from "../rpc/binding.ts";
import { Code, RpcError } from "../rpc/errors.ts";

/** The end user a call is made for, as a verified access token says. */
export interface EndUser {
  /** The token's `sub`. */
  readonly id: string;
  readonly role: string;
  readonly email: string | undefined;
  readonly claims: JWTPayload;
}

export interface TokenVerifierOptions {
  /** Fetches the issuer's current JSON Web Key Set (e.g. over the mesh from the identity service). */
  fetchJwks: () => Promise<JSONWebKeySet>;
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
  private keys: ReturnType<typeof createLocalJWKSet> | undefined;
  private fetchedAt = 0;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly options: TokenVerifierOptions) {}

  async verify(token: string): Promise<EndUser> {
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

  private async verifyWithCachedKeys(token: string): Promise<EndUser> {
    if (this.keys === undefined || Date.now() - this.fetchedAt > (this.options.cacheMs ?? 300_000)) {
      await this.refresh();
    }
    const { payload } = await jwtVerify(token, this.keys!, {
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
    this.refreshing ??= this.options
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
