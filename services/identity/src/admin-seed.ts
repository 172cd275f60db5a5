import { ConfigError, type Logger } from "@weft/mesh";
import type { Database } from "@weft/mesh/data";
import { displayNameFor } from "./domain/display-name.ts";
import { isValidEmail, normaliseEmail } from "./domain/email.ts";
import { hashPassword } from "./domain/password-hash.ts";
import { passwordProblem } from "./domain/password-policy.ts";
import type { IdentitySettings } from "./settings.ts";
import type * as schema from "./store/schema.ts";
import { findUserByEmail, insertUserIfEmailFree } from "./store/users.ts";

/**
 * Ensures the administrator named by ADMIN_EMAIL / ADMIN_PASSWORD exists, idempotently: an
 * existing account is left as it is (its password is not reset on every start, and an existing
 * customer with that email is not promoted: whoever registered it first would become admin).
 */
export async function seedAdmin(
  db: Database<typeof schema>,
  settings: Pick<IdentitySettings, "adminEmail" | "adminPassword">,
  logger: Logger,
): Promise<void> {
  const { adminEmail, adminPassword } = settings;
  if (adminEmail === "" && adminPassword === "") return;
  if (adminEmail === "" || adminPassword === "") {
    throw new ConfigError("ADMIN_EMAIL and ADMIN_PASSWORD must be set together (or neither)");
  }
  const email = normaliseEmail(adminEmail);
  if (!isValidEmail(email))
    throw new ConfigError(`ADMIN_EMAIL must be a valid email address (got ${JSON.stringify(adminEmail)})`);
  const problem = passwordProblem(adminPassword);
  if (problem !== undefined) throw new ConfigError(`ADMIN_PASSWORD ${problem}`);

  const existing = await findUserByEmail(db, email);
  if (existing === undefined) {
    const created = await insertUserIfEmailFree(db, {
      email,
      displayName: displayNameFor("Administrator", email),
      role: "admin",
      passwordHash: await hashPassword(adminPassword),
    });
    if (created !== undefined) {
      logger.info({ user_id: created.id }, "administrator account created");
      return;
    }
  }
  const account = existing ?? (await findUserByEmail(db, email));
  if (account?.role !== "admin") {
    logger.warn({ user_id: account?.id }, "ADMIN_EMAIL belongs to a customer account; it was not promoted");
  }
}
