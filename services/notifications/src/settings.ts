import { type Env, readSettings, text } from "@weft/mesh";

/** Notifications' own settings, read once at start (the mesh and database ones are read by the runtime). */
export interface NotificationsSettings {
  /** gRPC target of the identity service, whose JWKS verifies callers' access tokens. */
  identityAddr: string;
  jwtIssuer: string;
  jwtAudience: string;
}

export function notificationsSettings(env: Env): NotificationsSettings {
  return readSettings<NotificationsSettings>(
    {
      identityAddr: ["IDENTITY_ADDR", text("127.0.0.1:50051")],
      jwtIssuer: ["JWT_ISSUER", text("weft-identity")],
      jwtAudience: ["JWT_AUDIENCE", text("weft")],
    },
    env,
  );
}
