import { type Env, integer, readSettings, text } from "@weft/mesh";
import type { EdgeAuth } from "@weft/mesh/app";

/** Identity's own settings, read once at start (the mesh and database ones are read by the runtime). */
export interface IdentitySettings {
  /** `iss` of the tokens issued; verifiers require it. Default: weft.app.yaml's `edge.auth.issuer`. */
  jwtIssuer: string;
  /** `aud` of the tokens issued; verifiers require it. Default: weft.app.yaml's `edge.auth.audience`. */
  jwtAudience: string;
  /** Lifetime of an access token. */
  jwtTtlSeconds: number;
  /** Age at which the signing key is replaced by a new generation. */
  jwtKeyRotationDays: number;
  /** With adminPassword: the administrator account ensured at start. Both unset: none. */
  adminEmail: string;
  adminPassword: string;
}

/** `auth` is the app's token settings: the tokens this service issues are the ones the app verifies. */
export function identitySettings(env: Env, auth: EdgeAuth | undefined): IdentitySettings {
  return readSettings<IdentitySettings>(
    {
      jwtIssuer: ["JWT_ISSUER", text(auth?.issuer ?? "weft-identity")],
      jwtAudience: ["JWT_AUDIENCE", text(auth?.audience ?? "weft")],
      jwtTtlSeconds: ["JWT_TTL_SECONDS", integer(3600, 60, 24 * 3600)],
      jwtKeyRotationDays: ["JWT_KEY_ROTATION_DAYS", integer(30, 1, 365)],
      adminEmail: ["ADMIN_EMAIL", text("", /^\S+@\S+$/, "an email address")],
      adminPassword: ["ADMIN_PASSWORD", text("")],
    },
    env,
  );
}
