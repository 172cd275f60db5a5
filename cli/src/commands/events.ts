// `weft events`: the JetStream streams and durable consumers (pending, ack pending) and the parked
// events in DEAD_LETTERS, from the running console; `weft events redrive <seq>` puts a parked
// event back on its subject.
import { expectPositionals, parse } from "../args.ts";
import type { Command } from "../command.ts";
import { consoleApi, consoleUrl, type EventsView } from "../console-api.ts";
import { UsageError } from "../errors.ts";
import { clock, table } from "../table.ts";

const usage = "weft events [--json] [--console URL]";
const redriveUsage = "weft events redrive <dead-letter-seq> [--json] [--console URL]";
const options = { json: { type: "boolean" }, console: { type: "string" } } as const;

export const eventsCommand: Command = {
  name: "events",
  usage: "[--json]",
  summary: "JetStream streams, consumers' pending counts and the dead letters, from the running console",
  async run(args) {
    const { values, positionals } = parse(args, options, usage);
    expectPositionals(positionals, 0, usage);
    const events = await consoleApi<EventsView>(consoleUrl(values.console), "/api/events");
    process.stdout.write(values.json ? `${JSON.stringify(events, null, 2)}\n` : readable(events));
    return 0;
  },
};

export const redriveCommand: Command = {
  name: "events redrive",
  usage: "<dead-letter-seq> [--json]",
  summary: "put a dead-lettered event back on its subject (its consumer gets it again)",
  async run(args) {
    const { values, positionals } = parse(args, options, redriveUsage);
    expectPositionals(positionals, 1, redriveUsage);
    const seq = positionals[0]!;
    if (!/^\d+$/.test(seq)) throw new UsageError(`a dead letter's sequence is a number, not ${JSON.stringify(seq)}`);
    const result = await consoleApi<{ subject: string; streamSeq: number }>(
      consoleUrl(values.console),
      `/api/events/dead-letters/${seq}/redrive`,
      "POST",
    );
    process.stdout.write(
      values.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : `re-drove dead letter ${seq} to ${result.subject} (stream sequence ${result.streamSeq})\n`,
    );
    return 0;
  },
};

function readable({ streams, deadLetters }: EventsView): string {
  const rows: string[][] = [["STREAM", "SUBJECTS", "MESSAGES", "CONSUMER", "PENDING", "ACK PENDING", "REDELIVERED"]];
  for (const stream of streams) {
    const head = [stream.name, stream.subjects.join(","), String(stream.messages)];
    if (stream.consumers.length === 0) rows.push([...head, "-", "", "", ""]);
    for (const [i, c] of stream.consumers.entries()) {
      rows.push([
        ...(i === 0 ? head : ["", "", ""]),
        c.name,
        String(c.pending),
        String(c.ackPending),
        String(c.redelivered),
      ]);
    }
  }
  const streamsText = streams.length === 0 ? "no streams yet\n" : table(rows);
  const lettersText =
    deadLetters.length === 0
      ? "DEAD_LETTERS is empty\n"
      : table([
          ["SEQ", "PARKED", "CONSUMER", "SUBJECT", "TYPE", "TRACE", "REASON"],
          ...deadLetters.map((d) => [
            String(d.seq),
            clock(d.timeMs),
            d.consumer,
            d.originalSubject,
            d.eventType,
            d.traceId ?? "-",
            d.reason,
          ]),
        ]);
  return `${streamsText}\n${lettersText}`;
}
