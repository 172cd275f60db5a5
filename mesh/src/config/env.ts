/**
 * Settings read once at start from environment variables, each with a default, validated before
 * anything starts: a wrong value stops the process with one line that names the variable.
 */

/** A setting that is wrong; its message is the one line the operator sees. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Reads one variable: undefined when unset or empty, which selects the default. */
export interface Setting<T> {
  /** What the variable must look like, for the error line. */
  readonly expected: string;
  parse(raw: string): T | undefined;
  readonly fallback: T;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads every setting of `spec` from `env`, or throws one ConfigError naming the first bad variable. */
export function readSettings<T extends object>(
  spec: { [K in keyof T]: [variable: string, setting: Setting<T[K]>] },
  env: Env = process.env,
): T {
  const out: Partial<T> = {};
  for (const key of Object.keys(spec) as Array<keyof T>) {
    const [variable, setting] = spec[key];
    const raw = env[variable]?.trim();
    if (raw === undefined || raw === "") {
      out[key] = setting.fallback;
      continue;
    }
    const value = setting.parse(raw);
    if (value === undefined) {
      throw new ConfigError(`${variable} must be ${setting.expected} (got ${JSON.stringify(raw)})`);
    }
    out[key] = value;
  }
  return out as T;
}

export function integer(fallback: number, min: number, max: number): Setting<number> {
  return {
    expected: `an integer from ${min} to ${max}`,
    fallback,
    parse: (raw) => {
      if (!/^-?\d+$/.test(raw)) return undefined;
      const value = Number(raw);
      return value >= min && value <= max ? value : undefined;
    },
  };
}

export function oneOf<const V extends string>(fallback: V, values: readonly V[]): Setting<V> {
  return {
    expected: `one of ${values.join(", ")}`,
    fallback,
    parse: (raw) => values.find((v) => v === raw),
  };
}

export function boolean(fallback: boolean): Setting<boolean> {
  return {
    expected: "true or false",
    fallback,
    parse: (raw) => (raw === "true" || raw === "1" ? true : raw === "false" || raw === "0" ? false : undefined),
  };
}

export function text(fallback: string, pattern = /^.+$/, expected = "a non-empty string"): Setting<string> {
  return { expected, fallback, parse: (raw) => (pattern.test(raw) ? raw : undefined) };
}

/** Like text, but unset stays undefined: an override of a value that comes from elsewhere. */
export function optionalText(
  pattern = /^.+$/,
  expected = "a non-empty string",
  fallback: string | undefined = undefined,
): Setting<string | undefined> {
  return { expected, fallback, parse: (raw) => (pattern.test(raw) ? raw : undefined) };
}
