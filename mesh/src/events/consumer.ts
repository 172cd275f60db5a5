import { createRegistry, type DescMessage, fromBinary, type Message } from "@bufbuild/protobuf";
import { AckPolicy, type ConsumerMessages, DeliverPolicy, type JsMsg } from "@nats-io/jetstream";
import { nanos, headers as natsHeaders } from "@nats-io/transport-node";
import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Database, Transaction } from "../data/index.ts";
import type { Logger } from "../telemetry/index.ts";
import type { EventBus } from "./bus.ts";
import { ensureStream, eventStreamOf } from "./bus.ts";
import { type Envelope, readEnvelope } from "./envelope.ts";
import { inbox } from "./tables.ts";

/** An event as a consumer's handler receives it: the envelope and the decoded protobuf message. */
export interface ReceivedEvent extends Envelope {
  readonly message: Message;
  /** How many times JetStream has delivered it, 1 on the first try. */
  readonly deliveryCount: number;
}

export type EventHandler<Schema extends Record<string, unknown>> = (
  tx: Transaction<Schema>,
  event: ReceivedEvent,
) => Promise<void>;

export interface ConsumerOptions<Schema extends Record<string, unknown>> {
  bus: EventBus;
  db: Database<Schema>;
  /** The durable consumer's name, unique per consuming service and purpose: `mailer-invoices`. */
  name: string;
  /** The event types to receive, all of one protobuf package (one stream). */
  events: readonly DescMessage[];
  handle: EventHandler<Schema>;
  logger: Logger;
  /** Deliveries before a failing event is parked in the dead-letter stream. */
  maxDeliveries?: number;
  /** Redelivery delay after the n-th failure (the last value repeats). */
  backoffMs?: readonly number[];
}

export interface RunningConsumer {
  stop(): Promise<void>;
}

const tracer = trace.getTracer("weft-mesh");

/** Most events applied in one transaction. */
const batchLimit = 64;

function headerCarrier(msg: JsMsg): Record<string, string> {
  const carrier: Record<string, string> = {};
  for (const [key, values] of msg.headers ?? []) carrier[key] = values[0] ?? "";
  return carrier;
}

/**
 * Groups a consumer's messages into batches of what has already arrived: a lone message is a batch
 * of one at once (no waiting to fill a batch), a backlog comes out up to `limit` at a time.
 */
async function* batches(messages: ConsumerMessages, limit: number): AsyncGenerator<JsMsg[]> {
  const iterator = messages[Symbol.asyncIterator]();
  const idle = Symbol("idle");
  let pending: Promise<IteratorResult<JsMsg>> | undefined;
  const take = () => {
    pending ??= iterator.next();
    return pending;
  };
  for (;;) {
    const first = await take();
    pending = undefined;
    if (first.done) return;
    const batch = [first.value];
    let ended = false;
    while (batch.length < limit) {
      // Whatever is already buffered resolves before the next turn of the event loop.
      const next = await Promise.race([
        take(),
        new Promise<typeof idle>((resolve) => setImmediate(() => resolve(idle))),
      ]);
      if (next === idle) break;
      pending = undefined;
      if (next.done) {
        ended = true;
        break;
      }
      batch.push(next.value);
    }
    yield batch;
    if (ended) return;
  }
}

/**
 * Consumes events from a durable JetStream consumer, exactly once in effect: the handler runs in a
 * database transaction that also records the event id in the inbox, so a redelivery (after a
 * crash, a lost ack, or a relay republish) is recognised and acknowledged without effect. A
 * failing event is retried with backoff and, after `maxDeliveries`, parked in DEAD_LETTERS.
 */
export async function startConsumer<Schema extends Record<string, unknown>>(
  options: ConsumerOptions<Schema>,
): Promise<RunningConsumer> {
  const { bus, name, logger } = options;
  const packages = new Set(options.events.map((e) => e.file.proto.package));
  if (packages.size !== 1) throw new Error(`consumer ${name}: events must come from one protobuf package`);
  const stream = eventStreamOf([...packages][0]!);
  await ensureStream(bus.jsm, stream.name, stream.subjects);
  const subjects = options.events.map((e) => e.typeName);
  // One subject filter (NATS 2.9 has no filter_subjects): the type itself, or the whole package,
  // in which case the types this consumer does not handle are acknowledged and skipped.
  const filter = subjects.length === 1 ? subjects[0]! : `${[...packages][0]}.>`;
  await bus.jsm.consumers.add(stream.name, {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: filter,
    ack_wait: nanos(30_000),
  });
  const registry = createRegistry(...options.events);
  const maxDeliveries = options.maxDeliveries ?? 5;
  const backoffMs = options.backoffMs ?? [200, 1_000, 5_000];

  const consumer = await bus.js.consumers.get(stream.name, name);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: batchLimit });
  const loop = (async () => {
    for await (const batch of batches(messages, batchLimit)) await handleBatch(batch);
  })();

  /**
   * Applies what arrived together in one transaction: one commit for the batch instead of one per
   * event, which is what bounds a consumer's rate. If anything in it fails, the batch is rolled
   * back and applied again one event at a time, so only the failing event is retried or parked.
   */
  async function handleBatch(batch: readonly JsMsg[]): Promise<void> {
    if (batch.length === 1) return handleOne(batch[0]!);
    const decoded: Array<{ msg: JsMsg; event: ReceivedEvent }> = [];
    for (const msg of batch) {
      const envelope = readEnvelope(msg.headers);
      const schema = envelope && registry.getMessage(envelope.type);
      if (!envelope || !schema) {
        await handleOne(msg); // parked or skipped on its own
        continue;
      }
      try {
        decoded.push({
          msg,
          event: { ...envelope, message: fromBinary(schema, msg.data), deliveryCount: msg.info.deliveryCount },
        });
      } catch {
        await handleOne(msg);
      }
    }
    if (decoded.length === 0) return;
    const spans = decoded.map(({ msg, event }) => {
      const parent = propagation.extract(context.active(), headerCarrier(msg));
      return { parent, span: tracer.startSpan(`consume ${event.type}`, { kind: SpanKind.CONSUMER }, parent) };
    });
    try {
      await options.db.transaction(async (tx) => {
        const fresh = await tx
          .insert(inbox)
          .values(decoded.map(({ event }) => ({ consumer: name, eventId: event.id })))
          .onConflictDoNothing()
          .returning({ eventId: inbox.eventId });
        const unseen = new Set(fresh.map((row) => row.eventId));
        for (const [i, { event }] of decoded.entries()) {
          if (!unseen.delete(event.id)) continue; // seen before, or twice in this batch
          const { parent, span } = spans[i]!;
          await context.with(trace.setSpan(parent, span), () => options.handle(tx, event));
        }
      });
    } catch {
      for (const { span } of spans) span.end();
      for (const { msg } of decoded) await handleOne(msg);
      return;
    }
    for (const { span } of spans) span.end();
    for (const { msg } of decoded) msg.ack();
  }

  async function handleOne(msg: JsMsg): Promise<void> {
    const envelope = readEnvelope(msg.headers);
    if (!envelope) {
      await deadLetter(msg, "no CloudEvents envelope (ce-id, ce-type, ce-time headers)");
      return;
    }
    const schema = registry.getMessage(envelope.type);
    if (!schema) {
      msg.ack(); // another event of the package, which this consumer does not handle
      return;
    }
    const parent = propagation.extract(context.active(), headerCarrier(msg));
    const span = tracer.startSpan(`consume ${envelope.type}`, { kind: SpanKind.CONSUMER }, parent);
    try {
      const message = fromBinary(schema, msg.data);
      const event: ReceivedEvent = { ...envelope, message, deliveryCount: msg.info.deliveryCount };
      await context.with(trace.setSpan(parent, span), () =>
        options.db.transaction(async (tx) => {
          const fresh = await tx
            .insert(inbox)
            .values({ consumer: name, eventId: envelope.id })
            .onConflictDoNothing()
            .returning({ eventId: inbox.eventId });
          if (fresh.length === 0) return; // seen before: the effect is already committed
          await options.handle(tx, event);
        }),
      );
      msg.ack();
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
      const deliveries = msg.info.deliveryCount;
      if (deliveries >= maxDeliveries) {
        logger.error(
          { err: error, event_id: envelope.id, type: envelope.type, deliveries },
          "event parked in dead letters",
        );
        await deadLetter(msg, error instanceof Error ? error.message : String(error));
      } else {
        const delay = backoffMs[Math.min(deliveries, backoffMs.length) - 1] ?? 1_000;
        logger.warn(
          { err: error, event_id: envelope.id, type: envelope.type, deliveries, retry_in_ms: delay },
          "event failed",
        );
        msg.nak(delay);
      }
    } finally {
      span.end();
    }
  }

  /** Copies the message to DEAD_LETTERS with the reason, then removes it from this consumer's work. */
  async function deadLetter(msg: JsMsg, reason: string): Promise<void> {
    const headers = natsHeaders();
    for (const [key, values] of msg.headers ?? []) for (const value of values) headers.append(key, value);
    headers.set("weft-dead-letter-reason", reason.slice(0, 512));
    headers.set("weft-dead-letter-consumer", name);
    headers.set("weft-original-subject", msg.subject);
    try {
      await bus.js.publish(`dlq.${name}.${msg.subject}`, msg.data, { headers });
      msg.term(reason.slice(0, 128));
    } catch (error) {
      logger.error({ err: error }, "could not park the event in dead letters; it will be redelivered");
      msg.nak(backoffMs.at(-1) ?? 5_000);
    }
  }

  logger.info({ consumer: name, stream: stream.name, subjects }, "consuming events");
  return {
    async stop() {
      await messages.close();
      await loop;
    },
  };
}
