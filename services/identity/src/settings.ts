import { boolean, type Env, integer, readSettings, text } from "@weft/mesh";

/** Identity's own settings, read once at start (the mesh and database ones are read by the runtime). */
export interface IdentitySettings {
  /** `iss` of the tokens issued; verifiers require it. */
  jwtIssuer: string;
  /** `aud` of the tokens issued; verifiers require it. */
  jwtAudience: string;
  /** Lifetime of an access token. */
  jwtTtlSeconds: number;
  /** Age at which the signing key is replaced by a new generation. */
  jwtKeyRotationDays: number;
  /** With adminPassword: the administrator account ensured at start. Both unset: none. */
  adminEmail: string;
  adminPassword: string;
  /** 32 bytes, base64: encrypts the signing keys at rest (tokens/key-sealer.ts). From a Secret. */
  keyEncryptionKey: string;
  /** Without keyEncryptionKey: use the fixed development key (local development and tests only). */
  devKeyEncryption: boolean;
}

export function identitySettings(env: Env): IdentitySettings {
  return readSettings<IdentitySettings>(
    {
      jwtIssuer: ["JWT_ISSUER", text("weft-identity")],
      jwtAudience: ["JWT_AUDIENCE", text("weft")],
      jwtTtlSeconds: ["JWT_TTL_SECONDS", integer(3600, 60, 24 * 3600)],
      jwtKeyRotationDays: ["JWT_KEY_ROTATION_DAYS", integer(30, 1, 365)],
      adminEmail: ["ADMIN_EMAIL", text("", /^\S+@\S+$/, "an email address")],
      adminPassword: ["ADMIN_PASSWORD", text("")],
      keyEncryptionKey: [
        "IDENTITY_KEY_ENCRYPTION_KEY",
        text("", /^[A-Za-z0-9+/]{43}=$/, "32 bytes in base64 (openssl rand -base64 32)"),
      ],
      devKeyEncryption: ["IDENTITY_DEV_KEY_ENCRYPTION", boolean(false)],
    },
    env,
  );
}
