// `weft <command> …`: finds the command, runs it, and turns a failure into one line and an exit code.
import { ManifestError } from "@weft/mesh/app";
import type { Command } from "./command.ts";
import { authzCommand } from "./commands/authz.ts";
import { buildCommand } from "./commands/build.ts";
import { devCommand } from "./commands/dev.ts";
import { eventsCommand, redriveCommand } from "./commands/events.ts";
import { generateCommand } from "./commands/generate.ts";
import { manifestsCommand } from "./commands/manifests.ts";
import { newAppCommand } from "./commands/new-app.ts";
import { newServiceCommand } from "./commands/new-service.ts";
import { policyCommand } from "./commands/policy.ts";
import { rollbackCommand, rolloutCommand } from "./commands/rollout.ts";
import { tracesCommand } from "./commands/traces.ts";
import { workloadsCommand } from "./commands/workloads.ts";
import { exitCodes, UsageError } from "./errors.ts";

export const commands: readonly Command[] = [
  devCommand,
  buildCommand,
  generateCommand,
  manifestsCommand,
  policyCommand,
  newServiceCommand,
  newAppCommand,
  rolloutCommand,
  rollbackCommand,
  workloadsCommand,
  tracesCommand,
  authzCommand,
  eventsCommand,
  redriveCommand,
];

function help(): string {
  const width = Math.max(...commands.map((c) => `${c.name} ${c.usage}`.length));
  return [
    "usage: weft <command> [options]",
    "",
    ...commands.map((c) => `  weft ${`${c.name} ${c.usage}`.padEnd(width)}  ${c.summary}`),
    "",
    "Run inside an app (a folder with weft.app.yaml, or below one); `weft <command> --help` for details.",
    "",
  ].join("\n");
}

/** The command the arguments name (the longest match: "new service" before "new"), and the rest. */
function pick(argv: readonly string[]): { command: Command; args: string[] } | undefined {
  const byLength = [...commands].sort((a, b) => b.name.split(" ").length - a.name.split(" ").length);
  for (const command of byLength) {
    const words = command.name.split(" ");
    if (words.every((word, i) => argv[i] === word)) return { command, args: argv.slice(words.length) };
  }
  return undefined;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [first] = argv;
  if (first === undefined || first === "help" || first === "--help" || first === "-h") {
    process.stdout.write(help());
    return first === undefined ? exitCodes.refused : exitCodes.ok;
  }
  const picked = pick(argv);
  try {
    if (picked === undefined) {
      const known = first === "new" ? "new service <name> | new app <dir>" : commands.map((c) => c.name).join(", ");
      throw new UsageError(`unknown command ${JSON.stringify(argv.slice(0, 2).join(" "))} (commands: ${known})`);
    }
    if (picked.args.includes("--help") || picked.args.includes("-h")) {
      const { name, usage, summary, options } = picked.command;
      process.stdout.write(`usage: weft ${name} ${usage}\n  ${summary}\n${options ? `\n${options}` : ""}`);
      return exitCodes.ok;
    }
    return await picked.command.run(picked.args);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`weft: ${message}\n`);
    if (error instanceof UsageError) return exitCodes.refused;
    if (!(error instanceof ManifestError) && process.env.WEFT_DEBUG && error instanceof Error) {
      process.stderr.write(`${error.stack}\n`);
    }
    return exitCodes.failed;
  }
}
