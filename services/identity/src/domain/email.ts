/**
 * Login emails. Addresses are compared case-insensitively in practice (no mail provider treats
 * `Ann@x.org` and `ann@x.org` as two people), so they are stored lower-cased and trimmed.
 */

/** RFC 5321: a path is at most 256 octets including the angle brackets, so an address 254. */
export const maxEmailLength = 254;
const maxLocalPartLength = 64;

// Deliberately practical rather than RFC 5322 complete: dot-atom local part, a domain of
// LDH labels with at least one dot. No quoted local parts, comments or IP literals.
const localPart = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const domainLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The stored form of an email: trimmed and lower-cased. */
export function normaliseEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

/** Whether a normalised email is an address we accept. */
export function isValidEmail(email: string): boolean {
  if (email.length > maxEmailLength) return false;
  const at = email.lastIndexOf("@");
  if (at <= 0) return false;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > maxLocalPartLength || !localPart.test(local)) return false;
  const labels = domain.split(".");
  return labels.length >= 2 && labels.every((label) => domainLabel.test(label)) && !/^\d+$/.test(labels.at(-1)!);
}

/** The part before the `@`: the default display name. */
export function localPartOf(email: string): string {
  return email.slice(0, email.lastIndexOf("@"));
}
