import type { IdentityServiceHandlers } from "@weft/gen/shop/identity/v1/identity_weft.js";
import { Code, errorWithReason, RpcError, requireUser, Violations } from "@weft/mesh";
import type { Database } from "@weft/mesh/data";
import type { OutboxRelay } from "@weft/mesh/events";
import type { CredentialCheck } from "../domain/credential-check.ts";
import { hashPassword, needsRehash } from "../domain/password-hash.ts";
import { recordUserSignedUp } from "../events/user-signed-up.ts";
import { backoffPolicy, type IdentitySettings } from "../settings.ts";
import { admitThrottledAttempt, clearAttempts, startWait, type ThrottleKind } from "../store/attempt-throttles.ts";
import type * as schema from "../store/schema.ts";
import { findUserByEmail, findUserById, insertUserIfEmailFree, upgradePasswordHash } from "../store/users.ts";
import { issueAccessToken } from "../tokens/access-token.ts";
import type { KeyRing } from "../tokens/key-ring.ts";
import { loginInput, signUpInput } from "./requests.ts";
import { throttled } from "./throttled.ts";
import { userToProto } from "./to-proto.ts";

export interface IdentityDependencies {
  db: Database<typeof schema>;
  relay: OutboxRelay<typeof schema>;
  keys: KeyRing;
  credentials: CredentialCheck;
  settings: IdentitySettings;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function identityHandlers(deps: IdentityDependencies): IdentityServiceHandlers {
  const { db, relay, keys, credentials, settings } = deps;
  const policies = { login: backoffPolicy(settings, "login"), sign_up: backoffPolicy(settings, "sign_up") };

  /**
   * Runs an attempt (a password hash, so costly) under the backoff of its account or email:
   * refused while it is backing off, counted before it runs, and, unless it succeeded, its wait
   * starts when it ends. A successful login starts the account afresh; sign-ups are always
   * counted (the second sign-up for an email can only fail).
   */
  async function throttledAttempt<T>(kind: ThrottleKind, email: string, attempt: () => Promise<T>): Promise<T> {
    const admission = await admitThrottledAttempt(db, kind, email, policies[kind]);
    if (!admission.admitted) throw throttled(kind, admission.retryAfterMs);
    try {
      const result = await attempt();
      if (kind === "login") await clearAttempts(db, kind, email);
      else await startWait(db, kind, email, policies[kind]);
      return result;
    } catch (error) {
      await startWait(db, kind, email, policies[kind]);
      throw error;
    }
  }

  return {
    async signUp(request) {
      const input = signUpInput(request);
      const user = await throttledAttempt("sign_up", input.email, async () => {
        // The slow hash runs before the transaction, so no connection is held while it does.
        const passwordHash = await hashPassword(input.password);
        const row = await db.transaction(async (tx) => {
          const inserted = await insertUserIfEmailFree(tx, {
            email: input.email,
            displayName: input.displayName,
            role: "customer",
            passwordHash,
          });
          if (inserted !== undefined) await recordUserSignedUp(tx, inserted);
          return inserted;
        });
        if (row === undefined) {
          throw errorWithReason(Code.ALREADY_EXISTS, "EMAIL_TAKEN", "an account with this email already exists");
        }
        return row;
      });
      relay.nudge();
      return { user: userToProto(user) };
    },

    async login(request) {
      const input = loginInput(request);
      const user = await throttledAttempt("login", input.email, async () => {
        const found = await findUserByEmail(db, input.email);
        const matches = await credentials.matches(found?.passwordHash, input.password);
        if (found === undefined || !matches) {
          throw errorWithReason(Code.UNAUTHENTICATED, "INVALID_CREDENTIALS", "invalid email or password");
        }
        return found;
      });
      if (needsRehash(user.passwordHash)) {
        // The hash predates today's cost: the password is at hand now, so upgrade it.
        await upgradePasswordHash(db, user.id, user.passwordHash, await hashPassword(input.password));
      }
      const { token, expiresAt } = await issueAccessToken(
        keys,
        { issuer: settings.jwtIssuer, audience: settings.jwtAudience, ttlSeconds: settings.jwtTtlSeconds },
        { id: user.id, role: user.role, email: user.email },
      );
      return {
        accessToken: token,
        tokenType: "Bearer",
        expiresIn: settings.jwtTtlSeconds,
        expireTime: { seconds: BigInt(expiresAt.getTime() / 1000), nanos: 0 },
        user: userToProto(user),
      };
    },

    async getJwks() {
      const published = await keys.publicKeys();
      return {
        keys: published.map((jwk) => ({
          kty: jwk.kty ?? "",
          kid: jwk.kid ?? "",
          use: jwk.use ?? "sig",
          alg: jwk.alg ?? "",
          crv: jwk.crv ?? "",
          x: jwk.x ?? "",
          y: jwk.y ?? "",
        })),
      };
    },

    async getUser(request, context) {
      // Verified with this service's own keys, in process (the runtime calls our GetJwks directly).
      const caller = await requireUser(context);
      const violations = new Violations();
      violations.id("id", request.id);
      violations.throwIfAny();
      if (caller.role !== "admin" && caller.id !== request.id) {
        throw new RpcError(Code.PERMISSION_DENIED, "customers may only read their own account");
      }
      const user = uuidPattern.test(request.id) ? await findUserById(db, request.id.toLowerCase()) : undefined;
      if (user === undefined) throw new RpcError(Code.NOT_FOUND, `no user ${request.id}`);
      return { user: userToProto(user) };
    },
  };
}
