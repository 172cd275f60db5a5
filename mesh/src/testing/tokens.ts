import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { type App, loadApp } from "../app/index.ts";
import { TokenVerifier } from "../auth/index.ts";

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

export interface TestClaims {
  sub?: string;
  role?: string;
  email?: string;
  /** Expiry: seconds since the epoch, or a jose time span such as "1h" (the default). */
  exp?: number | string;
  iss?: string;
  aud?: string;
}

/**
 * A stand-in for a token issuer in tests: signs ES256 access tokens the way an app's token
 * issuer typically does (kid, iss, aud, sub, role, email, 1 h expiry), publishes its key as a
 * JWKS, and hands out a verifier that trusts it — to give the service under test
 * (`TestMesh.start(definition, { verifier })`) — plus the bad tokens an edge must refuse.
 */
export class TestTokens {
  private constructor(
    private readonly privateKey: PrivateKey,
    private readonly strangerKey: PrivateKey,
    /** The public key, as the issuer's JWKS lists it. */
    readonly jwk: JWK,
    readonly issuer: string,
    readonly audience: string,
  ) {}

  /**
   * Issuer and audience default to the app's (weft.app.yaml `edge.auth`), so the app's own
   * verifier accepts these tokens once it fetches this issuer's key (e.g. from a fake JWKS RPC).
   */
  static async create(options: { issuer?: string; audience?: string; app?: App } = {}): Promise<TestTokens> {
    const auth = (options.app ?? (options.issuer && options.audience ? undefined : loadApp()))?.manifest.edge.auth;
    const { privateKey, publicKey } = await generateKeyPair("ES256");
    const stranger = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "ES256", use: "sig" };
    return new TestTokens(
      privateKey,
      stranger.privateKey,
      jwk,
      options.issuer ?? auth?.issuer ?? "weft-test-issuer",
      options.audience ?? auth?.audience ?? "weft-test",
    );
  }

  verifier(): TokenVerifier {
    return new TokenVerifier({
      issuer: this.issuer,
      audience: this.audience,
      keys: { fetchJwks: async () => ({ keys: [this.jwk] }) },
    });
  }

  sign(claims: TestClaims = {}, signWith: PrivateKey = this.privateKey): Promise<string> {
    const sub = claims.sub ?? "user-1";
    return new SignJWT({ role: claims.role ?? "customer", email: claims.email ?? `${sub}@example.test` })
      .setProtectedHeader({ alg: "ES256", kid: "test-key" })
      .setSubject(sub)
      .setIssuer(claims.iss ?? this.issuer)
      .setAudience(claims.aud ?? this.audience)
      .setIssuedAt()
      .setExpirationTime(claims.exp ?? "1h")
      .sign(signWith);
  }

  /** A token with the issuer's kid but signed by a key it never published. */
  signWithStrangerKey(claims: TestClaims = {}): Promise<string> {
    return this.sign(claims, this.strangerKey);
  }

  /** An unsigned token (`alg: none`), which no verifier may accept. */
  unsigned(claims: TestClaims = {}): string {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      sub: claims.sub ?? "user-1",
      role: claims.role ?? "customer",
      iss: this.issuer,
      aud: this.audience,
      exp: now + 3600,
    };
    return `${encode({ alg: "none", kid: "test-key" })}.${encode(payload)}.`;
  }

  /** Call options carrying a token as the gateway forwards it. */
  async bearer(role: "admin" | "customer", sub = `user-${role}`): Promise<{ metadata: Record<string, string> }> {
    return { metadata: { authorization: `Bearer ${await this.sign({ sub, role })}` } };
  }
}
