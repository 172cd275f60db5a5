// The two ways a command fails. Both print one line; the exit code tells scripts which it was.

/** The command was asked for something it must refuse (bad arguments, a bad name, no app here): exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Exit codes: 0 done, 1 the work failed, 2 the request was refused. */
export const exitCodes = { ok: 0, failed: 1, refused: 2 } as const;
