// Publishing one outbox event to JetStream, the same way whichever path took it (a relay round or
// the commit hook): its stream declared first, CloudEvents binary-mode headers, the writer's trace
// continued by a PRODUCER span, and `Nats-Msg-Id` = event id so a republish is a duplicate.
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { context, propagation, SpanKind, trace } from "@opentelemetry/api";
import { ensureStream, eventStreamOf } from "./bus.ts";
import { envelopeHeaders, protobufContentType } from "./envelope.ts";
import type { outbox } from "./tables.ts";

/** An outbox row as it is published. */
export type OutboxEvent = Pick<
  typeof outbox.$inferSelect,
  "id" | "type" | "subject" | "payload" | "traceHeaders" | "createdAt"
>;

const tracer = trace.getTracer("weft-mesh");

export class EventPublisher {
  /** Streams declared so far: an event can only be stored if its stream exists. */
  private readonly declaredStreams = new Set<string>();

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    /** CloudEvents `source` of every event: `<app>/<service>`. */
    private readonly source: string,
  ) {}

  /** Publishes events and waits for JetStream to have stored each of them. */
  async publish(events: readonly OutboxEvent[]): Promise<void> {
    await this.declareStreamsOf(events);
    await Promise.all(events.map((event) => this.publishOne(event)));
  }

  private publishOne(event: OutboxEvent): Promise<void> {
    const parent = propagation.extract(context.active(), event.traceHeaders);
    const span = tracer.startSpan(`publish ${event.type}`, { kind: SpanKind.PRODUCER }, parent);
    const headers = natsHeaders();
    headers.set(envelopeHeaders.id, event.id);
    headers.set(envelopeHeaders.type, event.type);
    headers.set(envelopeHeaders.source, this.source);
    headers.set(envelopeHeaders.subject, event.subject);
    headers.set(envelopeHeaders.time, event.createdAt.toISOString());
    headers.set(envelopeHeaders.specVersion, "1.0");
    headers.set(envelopeHeaders.contentType, protobufContentType);
    propagation.inject(trace.setSpan(parent, span), headers, {
      set: (carrier, key, value) => carrier.set(key, value),
    });
    return this.js.publish(event.type, event.payload, { msgID: event.id, headers }).then(
      () => span.end(),
      (error: unknown) => {
        span.end();
        throw error;
      },
    );
  }

  /** Declares the stream of each event's protobuf package the first time it is met. */
  private async declareStreamsOf(events: readonly OutboxEvent[]): Promise<void> {
    for (const { type } of events) {
      const protoPackage = type.slice(0, type.lastIndexOf("."));
      if (this.declaredStreams.has(protoPackage)) continue;
      const stream = eventStreamOf(protoPackage);
      await ensureStream(this.jsm, stream.name, stream.subjects);
      this.declaredStreams.add(protoPackage);
    }
  }
}
