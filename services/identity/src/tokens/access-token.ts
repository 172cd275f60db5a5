import { SignJWT } from "jose";
import { v7 as uuidv7 } from "uuid";
import type { RoleName } from "../domain/role.ts";
import { type KeyRing, signingAlgorithm } from "./key-ring.ts";

export interface TokenClaims {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export interface TokenSubject {
  id: string;
  role: RoleName;
  email: string;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

/** Signs an access token for the user with the newest key: `kid` in the header, `sub`, `role`, `email`, `jti`. */
export async function issueAccessToken(
  keys: KeyRing,
  claims: TokenClaims,
  user: TokenSubject,
  now = new Date(),
): Promise<IssuedToken> {
  const { kid, key } = await keys.signingKey();
  const issuedAt = Math.floor(now.getTime() / 1000);
  const expiresAt = issuedAt + claims.ttlSeconds;
  const token = await new SignJWT({ role: user.role, email: user.email })
    .setProtectedHeader({ alg: signingAlgorithm, kid, typ: "JWT" })
    .setIssuer(claims.issuer)
    .setAudience(claims.audience)
    .setSubject(user.id)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .setJti(uuidv7())
    .sign(key);
  return { token, expiresAt: new Date(expiresAt * 1000) };
}
