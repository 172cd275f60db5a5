import { ConfigError, type Logger } from "@weft/mesh";
import type { Database } from "@weft/mesh/data";
import { displayNameFor } from "./domain/display-name.ts";
import { isValidEmail, normaliseEmail } from "./domain/email.ts";
import { hashPassword, verifyPassword } from "./domain/password-hash.ts";
import { passwordProblem } from "./domain/password-policy.ts";
import type { IdentitySettings } from "./settings.ts";
import type * as schema from "./store/schema.ts";
import { findUserByEmail, insertUserIfEmailFree, setPasswordHash } from "./store/users.ts";

/**
 * Ensures the administrator named by ADMIN_EMAIL / ADMIN_PASSWORD exists with that password,
 * idempotently: a new account is created; an existing admin whose password no longer matches
 * ADMIN_PASSWORD gets it (the operator changed the Secret: the old password must stop working),
 * and one that matches is left alone (no new hash on every start). An existing customer with
 * that email is neither promoted nor touched: whoever registered it first would become admin.
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
    return;
  }
  if (!(await verifyPassword(adminPassword, account.passwordHash))) {
    await setPasswordHash(db, account.id, await hashPassword(adminPassword));
    logger.info({ user_id: account.id }, "administrator password changed to ADMIN_PASSWORD");
  }
}
