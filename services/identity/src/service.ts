import { fileURLToPath } from "node:url";
import { file_shop_identity_v1_events } from "@weft/gen/shop/identity/v1/events_pb.js";
import { IdentityServiceBinding } from "@weft/gen/shop/identity/v1/identity_weft.js";
import { provide, type ServiceDefinition, TokenVerifier } from "@weft/mesh";
import { ensureStream, eventStreamOf } from "@weft/mesh/events";
import { seedAdmin } from "./admin-seed.ts";
import { CredentialCheck } from "./domain/credential-check.ts";
import { identityHandlers } from "./rpc/handlers.ts";
import { backoffPolicy, identitySettings } from "./settings.ts";
import { purgeForgottenAttempts } from "./store/attempt-throttles.ts";
import * as schema from "./store/schema.ts";
import { KeyRing } from "./tokens/key-ring.ts";

const day = 24 * 60 * 60 * 1000;
/** How often replicas check whether the signing key is due for rotation. */
const rotationCheckMs = 60 * 60 * 1000;
/** Beyond the token lifetime, how long a retired key stays published: replicas' refresh lag, clock skew. */
const retiredKeyMarginMs = 5 * 60 * 1000;
/** How often forgotten login and sign-up backoff rows are deleted. */
const throttlePurgeMs = 10 * 60 * 1000;

/** The identity service: accounts, password login, ES256 access tokens and their JWKS. */
export function identityService(): ServiceDefinition<typeof schema> {
  return {
    name: "identity",
    schema,
    migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
    async setup({ mesh, db, bus, relay, env }) {
      const settings = identitySettings(env);
      // The producer declares its stream too, so events publish even before any consumer exists.
      const stream = eventStreamOf(file_shop_identity_v1_events.proto.package);
      await ensureStream(bus.jsm, stream.name, stream.subjects);
      const rotateAfterMs = settings.jwtKeyRotationDays * day;
      const keys = new KeyRing(db, { rotateAfterMs, graceMs: settings.jwtTtlSeconds * 1000 + retiredKeyMarginMs });
      await keys.rotateIfDue();
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
          async (signal) => {
            while (!(await sleep(throttlePurgeMs, signal))) {
              for (const kind of ["login", "sign_up"] as const) {
                const quietSince = new Date(Date.now() - backoffPolicy(settings, kind).forgetAfterMs);
                await purgeForgottenAttempts(db, kind, quietSince).catch((error: unknown) =>
                  mesh.logger.warn({ err: error, kind }, "purging backoff rows failed"),
                );
              }
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
