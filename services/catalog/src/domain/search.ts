/**
 * The LIKE pattern matching `query` anywhere in a text, with LIKE's wildcards (`%`, `_`) and its
 * escape character (`\`, PostgreSQL's default) escaped, so the user's text matches literally.
 */
export function containsPattern(query: string): string {
  return `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Page sizes: 0 means the default, more than the maximum is clamped (the proto says so). */
export function effectivePageSize(requested: number): number {
  if (requested === 0) return 50;
  return Math.min(requested, 200);
}
