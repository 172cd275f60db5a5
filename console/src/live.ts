// Fan-out of what just happened (a log line, a decision, a trace that changed, a health change) to
// the browsers watching, as server-sent events. Trace changes are coalesced: a busy mesh sends
// hundreds of spans a second, a browser needs to hear "traces changed" a few times a second.
import type { ServerResponse } from "node:http";

export type LiveEvent = "log" | "decision" | "traces" | "health" | "events";

export class LiveFeed {
  readonly #clients = new Set<ServerResponse>();
  readonly #pendingTraces = new Set<string>();
  #flush: NodeJS.Timeout | undefined;
  readonly #heartbeat: NodeJS.Timeout;

  constructor(private readonly coalesceMs = 250) {
    // Comments keep proxies and the browser from closing an idle stream.
    this.#heartbeat = setInterval(() => this.#write(": keep-alive\n\n"), 15_000);
    this.#heartbeat.unref();
  }

  attach(response: ServerResponse): void {
    response.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    response.write("retry: 1000\n\n");
    this.#clients.add(response);
    response.on("close", () => this.#clients.delete(response));
  }

  publish(event: LiveEvent, data: unknown): void {
    if (this.#clients.size === 0) return;
    this.#write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  tracesChanged(traceIds: Iterable<string>): void {
    if (this.#clients.size === 0) return;
    for (const id of traceIds) this.#pendingTraces.add(id);
    this.#flush ??= setTimeout(() => {
      this.#flush = undefined;
      const ids = [...this.#pendingTraces];
      this.#pendingTraces.clear();
      this.publish("traces", ids);
    }, this.coalesceMs);
  }

  close(): void {
    clearInterval(this.#heartbeat);
    if (this.#flush) clearTimeout(this.#flush);
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }

  #write(chunk: string): void {
    for (const client of this.#clients) client.write(chunk);
  }
}
