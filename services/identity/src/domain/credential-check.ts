import { randomBytes } from "node:crypto";
import { hashPassword, verifyPassword } from "./password-hash.ts";

/**
 * Checks a password against an account's hash, or, when no account has the email, against a
 * dummy hash of a random password: both paths run one full scrypt, so the response time does not
 * tell an attacker which emails are registered.
 */
export class CredentialCheck {
  private dummy: Promise<string> | undefined;

  /** Computes the dummy hash ahead of the first login for an unknown email. */
  async warmUp(): Promise<void> {
    await this.dummyHash();
  }

  async matches(storedHash: string | undefined, password: string): Promise<boolean> {
    if (storedHash === undefined) {
      await verifyPassword(password, await this.dummyHash());
      return false;
    }
    return verifyPassword(password, storedHash);
  }

  private dummyHash(): Promise<string> {
    this.dummy ??= hashPassword(randomBytes(24).toString("base64"));
    return this.dummy;
  }
}
