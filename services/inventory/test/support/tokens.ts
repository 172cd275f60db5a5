import { TokenVerifier } from "@weft/mesh";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

const issuer = "weft-identity";
const audience = "weft";

/**
 * A stand-in for the identity service in tests: signs ES256 access tokens the way identity does
 * (kid, iss, aud, sub, role, email, 1 h expiry) and hands out a verifier that trusts its key, to
 * inject into the service under test.
 */
export class TestTokens {
  private constructor(
    private readonly privateKey: PrivateKey,
    private readonly publicJwk: JWK,
  ) {}

  static async create(): Promise<TestTokens> {
    const { privateKey, publicKey } = await generateKeyPair("ES256");
    return new TestTokens(privateKey, { ...(await exportJWK(publicKey)), kid: "test-key", alg: "ES256", use: "sig" });
  }

  verifier(): TokenVerifier {
    return new TokenVerifier({ issuer, audience, fetchJwks: async () => ({ keys: [this.publicJwk] }) });
  }

  sign(
    claims: { sub: string; role: "admin" | "customer"; email?: string },
    signWith = this.privateKey,
  ): Promise<string> {
    return new SignJWT({ role: claims.role, email: claims.email ?? `${claims.sub}@example.test` })
      .setProtectedHeader({ alg: "ES256", kid: "test-key" })
      .setSubject(claims.sub)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(signWith);
  }

  /** Call options carrying the token as the gateway forwards it. */
  async bearer(role: "admin" | "customer", sub = `user-${role}`): Promise<{ metadata: Record<string, string> }> {
    return { metadata: { authorization: `Bearer ${await this.sign({ sub, role })}` } };
  }
}
