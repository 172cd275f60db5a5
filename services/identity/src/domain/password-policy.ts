/**
 * What a password must be. Length is counted in Unicode code points (what a person typed), and
 * bounded above so a huge input cannot make the slow hash a denial-of-service lever.
 */
export const passwordLength = { min: 8, max: 128 } as const;

/** Why a password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < passwordLength.min) return `must be at least ${passwordLength.min} characters`;
  if (length > passwordLength.max) return `must be at most ${passwordLength.max} characters`;
  return undefined;
}
