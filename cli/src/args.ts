// Argument parsing for the commands: node's parseArgs, with its errors turned into refusals.
import { type ParseArgsConfig, parseArgs } from "node:util";
import { UsageError } from "./errors.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

export function parse<O extends Options>(
  args: string[],
  options: O,
  usage: string,
): {
  values: ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true }>>["values"];
  positionals: string[];
} {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values, positionals };
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)} (usage: ${usage})`);
  }
}

/** Exactly `count` positional arguments, or a refusal that shows the usage. */
export function expectPositionals(positionals: string[], count: number, usage: string): void {
  if (positionals.length !== count) {
    throw new UsageError(
      `${positionals.length < count ? "missing argument" : `unexpected argument ${JSON.stringify(positionals[count])}`} (usage: ${usage})`,
    );
  }
}

/** A whole-number option (undefined when not given), or a refusal that shows the usage. */
export function integerOption(value: string | undefined, name: string, usage: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !Number.isSafeInteger(number)) {
    throw new UsageError(`--${name} takes a whole number, not ${JSON.stringify(value)} (usage: ${usage})`);
  }
  return number;
}
