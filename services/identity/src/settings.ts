import { boolean, ConfigError, type Env, integer, readSettings, text } from "@weft/mesh";
import type { EdgeAuth } from "@weft/mesh/app";
import type { BackoffPolicy } from "./domain/attempt-backoff.ts";

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

  // Backoff of repeated attempts per account (Login) and per email (SignUp): domain/attempt-backoff.ts.
  /** Failed logins for one account before any wait. */
  loginFreeAttempts: number;
  /** Sign-ups for one email before any wait. */
  signUpFreeAttempts: number;
  /** The first wait; it doubles with each further attempt. */
  attemptBackoffBaseMs: number;
  /** The longest wait; a quiet spell of twice this forgets the account's failures. */
  attemptBackoffMaxMs: number;
  /** 32 bytes, base64: encrypts the signing keys at rest (tokens/key-sealer.ts). From a Secret. */
  keyEncryptionKey: string;
  /** Without keyEncryptionKey: use the fixed development key (local development and tests only). */
  devKeyEncryption: boolean;
}

/** The backoff rule for one kind of attempt, from the settings. */
export function backoffPolicy(settings: IdentitySettings, kind: "login" | "sign_up"): BackoffPolicy {
  return {
    freeAttempts: kind === "login" ? settings.loginFreeAttempts : settings.signUpFreeAttempts,
    baseDelayMs: settings.attemptBackoffBaseMs,
    maxDelayMs: settings.attemptBackoffMaxMs,
    forgetAfterMs: 2 * settings.attemptBackoffMaxMs,
  };
}

/** `auth` is the app's token settings: the tokens this service issues are the ones the app verifies. */
export function identitySettings(env: Env, auth: EdgeAuth | undefined): IdentitySettings {
  const settings = readSettings<IdentitySettings>(
    {
      jwtIssuer: ["JWT_ISSUER", text(auth?.issuer ?? "weft-identity")],
      jwtAudience: ["JWT_AUDIENCE", text(auth?.audience ?? "weft")],
      jwtTtlSeconds: ["JWT_TTL_SECONDS", integer(3600, 60, 24 * 3600)],
      jwtKeyRotationDays: ["JWT_KEY_ROTATION_DAYS", integer(30, 1, 365)],
      adminEmail: ["ADMIN_EMAIL", text("", /^\S+@\S+$/, "an email address")],
      adminPassword: ["ADMIN_PASSWORD", text("")],
      loginFreeAttempts: ["LOGIN_FREE_ATTEMPTS", integer(5, 1, 1_000)],
      signUpFreeAttempts: ["SIGN_UP_FREE_ATTEMPTS", integer(3, 1, 1_000)],
      attemptBackoffBaseMs: ["ATTEMPT_BACKOFF_BASE_MS", integer(1_000, 10, 3_600_000)],
      attemptBackoffMaxMs: ["ATTEMPT_BACKOFF_MAX_MS", integer(900_000, 10, 86_400_000)],
      keyEncryptionKey: [
        "IDENTITY_KEY_ENCRYPTION_KEY",
        text("", /^[A-Za-z0-9+/]{43}=$/, "32 bytes in base64 (openssl rand -base64 32)"),
      ],
      devKeyEncryption: ["IDENTITY_DEV_KEY_ENCRYPTION", boolean(false)],
    },
    env,
  );
  if (settings.attemptBackoffBaseMs > settings.attemptBackoffMaxMs) {
    throw new ConfigError(
      `ATTEMPT_BACKOFF_BASE_MS (${settings.attemptBackoffBaseMs}) must not exceed ATTEMPT_BACKOFF_MAX_MS (${settings.attemptBackoffMaxMs})`,
    );
  }
  return settings;
}
