// `weft traces`: the recent traces the running console received (root operation, duration,
// errors, services), or one trace as a waterfall. --json prints the console's answer as it is.
import { expectPositionals, integerOption, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { consoleApi, consoleUrl, query, type TraceSummary, type TraceView } from "../console-api.ts";
import { UsageError } from "../errors.ts";
import { clock, milliseconds, table } from "../table.ts";

const usage = "weft traces [<trace-id>] [--json] [--limit N] [--service S] [--errors] [--text T] [--console URL]";

export const tracesCommand: Command = {
  name: "traces",
  usage: "[<trace-id>] [--json] [--text T] [--errors] …",
  options: [
    "  <trace-id>     one trace's spans as a waterfall (32 hex digits)",
    "  --json         the console's answer as JSON, for scripts",
    "  --text T       traces mentioning T in any attribute (an order id, an email)",
    "  --errors       only traces with an error span",
    "  --service S    only traces S took part in",
    "  --limit N      at most N traces (default 100)",
    "  --console URL  the console (default WEFT_CONSOLE_URL, else http://127.0.0.1:$WEFT_CONSOLE_PORT, 9400)",
    "",
  ].join("\n"),
  summary: "recent traces from the running console (or one trace's spans as a waterfall); --text finds an order id",
  async run(args) {
    const { values, positionals } = parse(
      args,
      {
        json: { type: "boolean" },
        limit: { type: "string" },
        service: { type: "string" },
        errors: { type: "boolean" },
        text: { type: "string" },
        console: { type: "string" },
      },
      usage,
    );
    if (positionals.length > 1) expectPositionals(positionals, 1, usage);
    const base = consoleUrl(values.console);
    const [traceId] = positionals;
    if (traceId !== undefined) {
      if (!/^[0-9a-f]{32}$/.test(traceId))
        throw new UsageError(`a trace id is 32 lowercase hex digits, not ${JSON.stringify(traceId)}`);
      const trace = await consoleApi<TraceView>(base, `/api/traces/${traceId}`);
      process.stdout.write(values.json ? `${JSON.stringify(trace, null, 2)}\n` : waterfall(trace));
      return 0;
    }
    const limit = integerOption(values.limit, "limit", usage);
    const traces = await consoleApi<TraceSummary[]>(
      base,
      `/api/traces${query({ limit, service: values.service, errors: values.errors || undefined, text: values.text })}`,
    );
    process.stdout.write(values.json ? `${JSON.stringify(traces, null, 2)}\n` : list(traces));
    return 0;
  },
};

function list(traces: readonly TraceSummary[]): string {
  if (traces.length === 0) return "no traces yet\n";
  return table([
    ["TRACE", "START", "DURATION", "SPANS", "ERRORS", "ROOT", "SERVICES"],
    ...traces.map((t) => [
      t.traceId,
      clock(t.startMs),
      milliseconds(t.durationMs),
      String(t.spanCount),
      String(t.errorCount),
      `${t.rootService} ${t.rootName}`,
      t.services.join(","),
    ]),
  ]);
}

function waterfall(trace: TraceView): string {
  const { summary } = trace;
  const head = `trace ${summary.traceId}: ${summary.rootService} ${summary.rootName}, ${milliseconds(summary.durationMs)}, ${summary.spanCount} spans, ${summary.errorCount} errors\n`;
  return `${head}${table([
    ["OFFSET", "DURATION", "SERVICE", "KIND", "SPAN"],
    ...trace.rows.map(({ depth, offsetMs, span }) => [
      `+${milliseconds(offsetMs)}`,
      milliseconds(span.durationMs),
      span.service,
      span.kind,
      `${"  ".repeat(depth)}${span.name}${span.status === "error" ? `  ✗ ${span.statusMessage}` : ""}`,
    ]),
  ])}`;
}
