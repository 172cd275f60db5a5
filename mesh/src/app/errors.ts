/**
 * A manifest that is wrong. The message is one line, `<file>: <entry>: <what is wrong>`, with the
 * file relative to the app root, so it reads the same in a terminal, a CI log and a test.
 */
export class ManifestError extends Error {
  override readonly name = "ManifestError";
}

/** The one-line message for a problem at an entry of a manifest file. */
export function manifestProblem(file: string, entry: string, problem: string): ManifestError {
  return new ManifestError(`${file}: ${entry}: ${problem}`);
}
