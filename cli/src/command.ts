// What every `weft <command>` module exports.

export interface Command {
  /** The words after `weft`, e.g. "new service". */
  readonly name: string;
  /** Its arguments, as the help shows them. */
  readonly usage: string;
  /** Every option, one a line, for `weft <command> --help` when the usage line shortens them (…). */
  readonly options?: string;
  /** One line for `weft help`. */
  readonly summary: string;
  /** Runs with the arguments after the command's name; resolves to the exit code. */
  run(args: string[]): Promise<number>;
}
