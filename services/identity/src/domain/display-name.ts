import { localPartOf } from "./email.ts";

export const maxDisplayNameLength = 100;

// Control characters (including newlines) would let a name forge lines in notifications and logs.
const controlCharacter = /\p{Cc}/u;

/** Why a display name is refused, or undefined when it is acceptable. Empty means "use the default". */
export function displayNameProblem(raw: string): string | undefined {
  const name = raw.trim();
  if ([...name].length > maxDisplayNameLength) return `must be at most ${maxDisplayNameLength} characters`;
  if (controlCharacter.test(name)) return "must not contain control characters";
  return undefined;
}

/** The name to store: the trimmed name given, or the email's local part when none was. */
export function displayNameFor(raw: string, email: string): string {
  const name = raw.trim();
  return name !== "" ? name : [...localPartOf(email)].slice(0, maxDisplayNameLength).join("");
}
