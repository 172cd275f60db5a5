import { once } from "node:events";
import type { Writable } from "node:stream";

/**
 * Writes every message of `source` to a grpc-js stream, waiting for 'drain' when its buffer is
 * full so a fast producer cannot exhaust memory. Stops early when `signal` aborts.
 */
export async function writeAll<T>(stream: Writable, source: AsyncIterable<T>, signal: AbortSignal): Promise<void> {
  for await (const message of source) {
    signal.throwIfAborted();
    if (!stream.write(message)) {
      await once(stream, "drain", { signal });
    }
  }
}

/** A grpc-js readable stream as the typed async iterable that generated interfaces promise. */
export function messagesOf<T>(stream: AsyncIterable<unknown>): AsyncIterable<T> {
  return stream as AsyncIterable<T>;
}
