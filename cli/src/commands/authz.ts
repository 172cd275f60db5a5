// `weft authz`: the mesh's authorization decisions the running console received, newest first —
// every deny, sampled allows — each deny with the manifest entry that would grant it.
import { expectPositionals, integerOption, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { consoleApi, consoleUrl, type DecisionView, query } from "../console-api.ts";
import { UsageError } from "../errors.ts";
import { clock, table } from "../table.ts";

const usage = "weft authz [--json] [--deny | --allow] [--workload W] [--limit N] [--console URL]";

export const authzCommand: Command = {
  name: "authz",
  usage: "[--json] [--deny | --allow] …",
  options: [
    "  --json         the console's answer as JSON, for scripts",
    "  --deny         only denies (--allow: only the sampled allows)",
    "  --workload W   only decisions W made (the callee)",
    "  --limit N      at most N decisions (default 200)",
    "  --console URL  the console (default WEFT_CONSOLE_URL, else http://127.0.0.1:$WEFT_CONSOLE_PORT, 9400)",
    "",
  ].join("\n"),
  summary: "the mesh's recent authorization decisions from the running console; a deny names the grant it lacks",
  async run(args) {
    const { values, positionals } = parse(
      args,
      {
        json: { type: "boolean" },
        deny: { type: "boolean" },
        allow: { type: "boolean" },
        workload: { type: "string" },
        limit: { type: "string" },
        console: { type: "string" },
      },
      usage,
    );
    expectPositionals(positionals, 0, usage);
    if (values.deny && values.allow) throw new UsageError(`--deny or --allow, not both (usage: ${usage})`);
    const decisions = await consoleApi<DecisionView[]>(
      consoleUrl(values.console),
      `/api/decisions${query({
        decision: values.deny ? "deny" : values.allow ? "allow" : undefined,
        workload: values.workload,
        limit: integerOption(values.limit, "limit", usage),
      })}`,
    );
    process.stdout.write(values.json ? `${JSON.stringify(decisions, null, 2)}\n` : readable(decisions));
    return 0;
  },
};

/** The workload of a SPIFFE id (spiffe://<domain>/ns/<ns>/sa/<workload>), else the id itself. */
function workloadOf(caller: string): string {
  if (caller === "") return "(no identity)";
  return /\/sa\/([^/]+)$/.exec(caller)?.[1] ?? caller;
}

function readable(decisions: readonly DecisionView[]): string {
  if (decisions.length === 0) return "no decisions yet (every deny is recorded; allows are sampled)\n";
  const rows = table([
    ["TIME", "DECISION", "CALLER", "CALLEE", "METHOD", "POLICY", "TRACE"],
    ...decisions.map((d) => [
      clock(d.timeMs),
      d.decision.toUpperCase(),
      workloadOf(d.caller),
      d.workload,
      d.method,
      d.policy === "" ? d.reason || "-" : `${d.policy}#${d.rule}`,
      d.traceId,
    ]),
  ]).split("\n");
  // Under each deny, what would grant it (once per caller and method: a retry loop says it once).
  const said = new Set<string>();
  const lines = [rows[0]!];
  decisions.forEach((d, i) => {
    lines.push(rows[i + 1]!);
    const key = `${d.caller} ${d.method}`;
    if (d.decision !== "deny" || d.suggestion === undefined || said.has(key)) return;
    said.add(key);
    const { file, yaml, explanation } = d.suggestion;
    lines.push(`    ${explanation}`);
    if (file !== undefined && yaml !== undefined) {
      lines.push(
        `    in ${file}:`,
        ...yaml
          .trimEnd()
          .split("\n")
          .map((line) => `      ${line}`),
      );
    }
  });
  return `${lines.join("\n")}\n`;
}
