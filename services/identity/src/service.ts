import { fileURLToPath } from "node:url";
import { file_shop_identity_v1_events } from "@weft/gen/shop/identity/v1/events_pb.js";
import { IdentityServiceBinding } from "@weft/gen/shop/identity/v1/identity_weft.js";
import { ConfigError, provide, type ServiceDefinition, TokenVerifier } from "@weft/mesh";
import { ensureStream, eventStreamOf } from "@weft/mesh/events";
import { seedAdmin } from "./admin-seed.ts";
import { CredentialCheck } from "./domain/credential-check.ts";
import { identityHandlers } from "./rpc/handlers.ts";
import { identitySettings } from "./settings.ts";
import * as schema from "./store/schema.ts";
import { KeyRing } from "./tokens/key-ring.ts";
import { keySealerFrom } from "./tokens/key-sealer.ts";

const day = 24 * 60 * 60 * 1000;
/** How often replicas check whether the signing key is due for rotation. */
const rotationCheckMs = 60 * 60 * 1000;
/** Beyond the token lifetime, how long a retired key stays published: replicas' refresh lag, clock skew. */
const retiredKeyMarginMs = 5 * 60 * 1000;

/** The identity service: accounts, password login, ES256 access tokens and their JWKS. */
export function identityService(): ServiceDefinition<typeof schema> {
  return {
    name: "identity",
    schema,
    migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
    async setup({ mesh, db, bus, relay, env }) {
      const settings = identitySettings(env);
      const { sealer, development } = keySealerFrom(settings);
      if (development) {
        mesh.logger.warn("IDENTITY_DEV_KEY_ENCRYPTION=true: signing keys are sealed with the public development key");
      }
      // The producer declares its stream too, so events publish even before any consumer exists.
      const stream = eventStreamOf(file_shop_identity_v1_events.proto.package);
      await ensureStream(bus.jsm, stream.name, stream.subjects);
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
      const verifier = new TokenVerifier({
        issuer: settings.jwtIssuer,
        audience: settings.jwtAudience,
        algorithms: ["ES256"],
        fetchJwks: async () => ({ keys: await keys.publicKeys() }),
      });
      return {
        services: [
          provide(IdentityServiceBinding, identityHandlers({ db, relay, keys, verifier, credentials, settings })),
        ],
        background: [
          async (signal) => {
            while (!(await sleep(rotationCheckMs, signal))) {
              await keys
                .rotateIfDue()
                .catch((error: unknown) => mesh.logger.warn({ err: error }, "key rotation check failed"));
            }
          },
        ],
      };
    },
  };
}

/** Waits, or less if the signal aborts; resolves to whether it aborted. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(false);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
