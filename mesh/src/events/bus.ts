import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection, nanos } from "@nats-io/transport-node";

const retentionMs = 7 * 24 * 60 * 60 * 1000;

/** A service's connection to NATS JetStream. */
export interface EventBus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  close(): Promise<void>;
}

/** The stream that keeps events no consumer could process, for a human to look at. */
export const deadLetterStream = { name: "DEAD_LETTERS", subjects: ["dlq.>"] } as const;

/**
 * Connects for good: NATS restarts are survived by reconnecting forever (publishers wait in the
 * relay's retry loop, consumers resume their durable consumers).
 */
export async function connectEventBus(options: {
  servers: string;
  name: string;
  /** Credentials of this workload's NATS user, where the server requires them. */
  user?: string;
  password?: string;
}): Promise<EventBus> {
  const nc = await connect({
    servers: options.servers.split(","),
    name: options.name,
    ...(options.user ? { user: options.user, pass: options.password ?? "" } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // The client would otherwise build an Error per request (every JetStream publish) just to keep
    // its stack for a timeout that rarely comes: a measurable share of a relay's CPU. A failed
    // publish still says what failed, and the relay's log names the batch.
    noAsyncTraces: true,
  });
  const jsm = await jetstreamManager(nc);
  await ensureStream(jsm, deadLetterStream.name, [...deadLetterStream.subjects]);
  return {
    nc,
    js: jetstream(nc),
    jsm,
    async close() {
      await nc.drain().catch(() => nc.close());
    },
  };
}

/** The stream of a protobuf package's events: `example.billing.v1` → `EXAMPLE_BILLING_V1` with subjects `example.billing.v1.>`. */
export function eventStreamOf(protoPackage: string): { name: string; subjects: string[] } {
  return { name: protoPackage.toUpperCase().replaceAll(".", "_"), subjects: [`${protoPackage}.>`] };
}

/**
 * Declares a stream, idempotently: producers and consumers both call it at start, in any order.
 * The duplicate window is what makes a relay's republish after a crash harmless.
 */
export async function ensureStream(jsm: JetStreamManager, name: string, subjects: string[]): Promise<void> {
  // Events are kept a week: long enough for a consumer that was down to catch up, or for a new
  // read model to rebuild recent state; not forever, so a busy app does not fill the disk.
  const config = { name, subjects, duplicate_window: nanos(2 * 60 * 1000), max_age: nanos(retentionMs) };
  try {
    await jsm.streams.info(name);
    await jsm.streams.update(name, config);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await jsm.streams.add(config).catch(async (raced: unknown) => {
      // Another process declared it between our lookup and now.
      if (
        !(await jsm.streams.info(name).then(
          () => true,
          () => false,
        ))
      )
        throw raced;
    });
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && /not found/i.test(error.message);
}
