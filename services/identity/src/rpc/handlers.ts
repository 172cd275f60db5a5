import type { IdentityServiceHandlers } from "@weft/gen/shop/identity/v1/identity_weft.js";
import { Code, errorWithReason, RpcError, requireUser, Violations } from "@weft/mesh";
import type { Database } from "@weft/mesh/data";
import type { OutboxRelay } from "@weft/mesh/events";
import type { CredentialCheck } from "../domain/credential-check.ts";
import { hashPassword, needsRehash } from "../domain/password-hash.ts";
import { recordUserSignedUp } from "../events/user-signed-up.ts";
import type { IdentitySettings } from "../settings.ts";
import type * as schema from "../store/schema.ts";
import { findUserByEmail, findUserById, insertUserIfEmailFree, upgradePasswordHash } from "../store/users.ts";
import { issueAccessToken } from "../tokens/access-token.ts";
import type { KeyRing } from "../tokens/key-ring.ts";
import { loginInput, signUpInput } from "./requests.ts";
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

  return {
    async signUp(request) {
      const input = signUpInput(request);
      // The slow hash runs before the transaction, so no connection is held while it does.
      const passwordHash = await hashPassword(input.password);
      const user = await db.transaction(async (tx) => {
        const row = await insertUserIfEmailFree(tx, {
          email: input.email,
          displayName: input.displayName,
          role: "customer",
          passwordHash,
        });
        if (row !== undefined) await recordUserSignedUp(tx, row);
        return row;
      });
      if (user === undefined) {
        throw errorWithReason(Code.ALREADY_EXISTS, "EMAIL_TAKEN", "an account with this email already exists");
      }
      relay.nudge();
      return { user: userToProto(user) };
    },

    async login(request) {
      const input = loginInput(request);
      const user = await findUserByEmail(db, input.email);
      const matches = await credentials.matches(user?.passwordHash, input.password);
      if (user === undefined || !matches) {
        throw errorWithReason(Code.UNAUTHENTICATED, "INVALID_CREDENTIALS", "invalid email or password");
      }
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
