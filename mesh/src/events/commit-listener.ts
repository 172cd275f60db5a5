// A PostgreSQL LISTEN on a connection of its own, kept up for good: what lets a background loop
// sleep until a transaction (in any process on the database) commits work for it, instead of
// polling. The connection is dedicated (a pooled one would be handed to queries), commits nothing
// while it waits, and is opened again after it drops, with backoff. Every (re)start of listening
// is reported as a notification too: whatever committed while nobody listened is looked for then.
import postgres from "postgres";
import type { Logger } from "../telemetry/index.ts";

export interface CommitListenerOptions {
  /** The database's postgres:// URL. */
  url: string;
  /** The channel the database's trigger notifies, e.g. `weft_outbox`. */
  channel: string;
  /** Told of each notification with its payload, and once each time listening (re)starts, with none. */
  onNotify: (payload: string | undefined) => void;
  logger: Logger;
}

export interface CommitListener {
  /** Whether a notification would reach `onNotify` now. */
  readonly listening: boolean;
  close(): Promise<void>;
}

/** postgres.js delivers NOTIFY to this option (what its own `listen` uses); its types omit it. */
interface NotifyingOptions extends postgres.Options<Record<string, never>> {
  onnotify: (channel: string, payload: string) => void;
}

const maxBackoffMs = 5_000;

export function listenForCommits(options: CommitListenerOptions): CommitListener {
  if (!/^[a-z_][a-z0-9_]*$/.test(options.channel)) throw new Error(`bad channel name ${options.channel}`);
  let listening = false;
  let closed = false;
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;
  const connectionOptions: NotifyingOptions = {
    max: 1,
    // Kept open for good: no idle timeout, no recycling.
    idle_timeout: 0,
    max_lifetime: null,
    fetch_types: false,
    onnotice: () => {},
    onnotify: (channel, payload) => {
      if (channel === options.channel) options.onNotify(payload);
    },
    // A drop of an established LISTEN; a failed attempt is retried by `listen` itself.
    onclose: () => {
      if (!listening) return;
      listening = false;
      again();
    },
  };
  const sql = postgres(options.url, connectionOptions);

  const listen = async () => {
    retry = undefined;
    if (closed) return;
    try {
      await sql.unsafe(`listen ${options.channel}`);
      failures = 0;
      listening = true;
      options.onNotify(undefined);
    } catch (error) {
      failures++;
      options.logger.warn({ err: error, channel: options.channel }, "LISTEN failed; polling until it is back");
      again();
    }
  };
  /** Listens again soon, once: a drop is seen both as a failed query and as a closed connection. */
  function again(): void {
    if (closed || retry !== undefined) return;
    const delay = failures === 0 ? 0 : Math.min(maxBackoffMs, 100 * 2 ** Math.min(failures, 6));
    retry = setTimeout(() => void listen(), delay);
    retry.unref();
  }
  void listen();

  return {
    get listening() {
      return listening;
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      await sql.end({ timeout: 5 });
    },
  };
}
