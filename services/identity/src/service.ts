import { fileURLToPath } from "node:url";
import { IdentityServiceBinding } from "@weft/gen/shop/identity/v1/identity_weft.js";
import { ConfigError, every, provide, type ServiceDefinition } from "@weft/mesh";
import { seedAdmin } from "./admin-seed.ts";
import { CredentialCheck } from "./domain/credential-check.ts";
import { identityHandlers } from "./rpc/handlers.ts";
import { backoffPolicy, identitySettings } from "./settings.ts";
import { purgeForgottenAttempts } from "./store/attempt-throttles.ts";
import * as schema from "./store/schema.ts";
import { KeyRing } from "./tokens/key-ring.ts";
import { keySealerFrom } from "./tokens/key-sealer.ts";

const day = 24 * 60 * 60 * 1000;
/** How often replicas check whether the signing key is due for rotation. */
const rotationCheckMs = 60 * 60 * 1000;
/** Beyond the token lifetime, how long a retired key stays published: replicas' refresh lag, clock skew. */
const retiredKeyMarginMs = 5 * 60 * 1000;
/** How often forgotten login and sign-up backoff rows are deleted. */
const throttlePurgeMs = 10 * 60 * 1000;

/**
 * The identity service: accounts, password login, ES256 access tokens and their JWKS. It is the
 * app's token issuer (weft.app.yaml names its GetJwks), so the runtime verifies the tokens its
 * own RPCs receive against GetJwks called in process.
 */
export function identityService(): ServiceDefinition<typeof schema> {
  return {
    name: "identity",
    schema,
    migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
    async setup({ mesh, db, relay, env, app }) {
      const settings = identitySettings(env, app.manifest.edge.auth);
      const { sealer, development } = keySealerFrom(settings);
      if (development) {
        mesh.logger.warn("IDENTITY_DEV_KEY_ENCRYPTION=true: signing keys are sealed with the public development key");
      }
      const rotateAfterMs = settings.jwtKeyRotationDays * day;
      const keys = new KeyRing(db, {
        sealer,
        rotateAfterMs,
        graceMs: settings.jwtTtlSeconds * 1000 + retiredKeyMarginMs,
      });
      const sealedAtStart = await keys.sealPlaintextKeys();
      if (sealedAtStart > 0) mesh.logger.info({ keys: sealedAtStart }, "sealed signing keys stored in plaintext");
      await keys.rotateIfDue();
      // A wrong key-encryption key stops the start here, not every login later.
      await keys.signingKey().catch((error: unknown) => {
        throw new ConfigError(
          `IDENTITY_KEY_ENCRYPTION_KEY cannot open the stored signing key: ${error instanceof Error ? error.message : error}`,
        );
      });
      await seedAdmin(db, settings, mesh.logger);
      const credentials = new CredentialCheck();
      await credentials.warmUp();
      const purgeForgottenBackoffRows = async () => {
        for (const kind of ["login", "sign_up"] as const) {
          await purgeForgottenAttempts(db, kind, new Date(Date.now() - backoffPolicy(settings, kind).forgetAfterMs));
        }
      };
      return {
        services: [provide(IdentityServiceBinding, identityHandlers({ db, relay, keys, credentials, settings }))],
        background: [
          (signal) =>
            every(rotationCheckMs, () => keys.rotateIfDue(), signal, {
              delayFirst: true,
              onError: (error) => mesh.logger.warn({ err: error }, "key rotation check failed"),
            }),
          (signal) =>
            every(throttlePurgeMs, purgeForgottenBackoffRows, signal, {
              delayFirst: true,
              onError: (error) => mesh.logger.warn({ err: error }, "purging backoff rows failed"),
            }),
        ],
      };
    },
  };
}
