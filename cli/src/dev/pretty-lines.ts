import type { LineSink } from "./processes.ts";

const colors = [36, 32, 33, 35, 34, 96, 92, 93, 95];

/**
 * The launcher's log view: each process's JSON log lines made readable by pino-pretty, prefixed
 * with the process name in its own colour, one whole line at a time. Lines that are not JSON
 * (a crash's stack trace) pass through as they are.
 */
export async function prettyLines(
  names: readonly string[],
  write: (text: string) => void = (t) => process.stdout.write(t),
): Promise<LineSink> {
  const { prettyFactory } = await import("pino-pretty");
  const pretty = prettyFactory({
    colorize: process.stdout.isTTY,
    translateTime: "HH:MM:ss.l",
    ignore: "pid,hostname,service",
  });
  const width = Math.max(...names.map((n) => n.length));
  const prefixes = new Map(
    names.map((name, i) => {
      const label = name.padEnd(width);
      return [name, process.stdout.isTTY ? `\x1b[${colors[i % colors.length]}m${label}\x1b[0m │ ` : `${label} │ `];
    }),
  );
  return (name, line) => {
    const prefix = prefixes.get(name) ?? `${name} │ `;
    let text = line;
    if (line.startsWith("{")) {
      try {
        text = pretty(JSON.parse(line)).trimEnd();
      } catch {
        // not JSON after all
      }
    }
    write(
      `${text
        .split("\n")
        .map((l) => prefix + l)
        .join("\n")}\n`,
    );
  };
}
