// The event bus as the console shows it: every stream and durable consumer with its backlog, the
// events parked in DEAD_LETTERS (as mesh/src/events/consumer.ts stores them: subject
// `dlq.<consumer>.<original subject>`, the original headers plus weft-dead-letter-reason,
// weft-dead-letter-consumer and weft-original-subject), and re-driving one back to its subject.
import { fromBinary, type Registry, toJson } from "@bufbuild/protobuf";
import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type MsgHdrs, type NatsConnection, headers as natsHeaders } from "@nats-io/transport-node";

export const deadLetterStreamName = "DEAD_LETTERS";
const deadLetterHeaders = {
  reason: "weft-dead-letter-reason",
  consumer: "weft-dead-letter-consumer",
  subject: "weft-original-subject",
};
export const redrivenFromHeader = "weft-redriven-from";

export interface ConsumerView {
  name: string;
  filterSubject: string;
  /** Messages in the stream the consumer has not been delivered yet. */
  pending: number;
  /** Delivered but not acknowledged yet. */
  ackPending: number;
  redelivered: number;
  deliveredSeq: number;
  ackFloorSeq: number;
}

export interface StreamView {
  name: string;
  subjects: string[];
  messages: number;
  bytes: number;
  firstSeq: number;
  lastSeq: number;
  consumers: ConsumerView[];
}

export interface DeadLetter {
  seq: number;
  timeMs: number;
  /** The durable consumer that gave up on it. */
  consumer: string;
  originalSubject: string;
  reason: string;
  eventId: string;
  eventType: string;
  eventSubject: string;
  source: string;
  traceId: string | undefined;
  /** The payload as proto3 JSON when its type is in the descriptors, else undefined. */
  payload: unknown;
  payloadBase64: string;
  headers: Record<string, string>;
}

/** A NATS user and password (a NATS the launcher starts has one user per workload, and one for the console). */
export interface NatsCredentials {
  user: string;
  password: string;
}

export class JetStreamView {
  #connection: Promise<{ nc: NatsConnection; jsm: JetStreamManager }> | undefined;

  constructor(
    private readonly natsUrl: string,
    private readonly registry: Registry | undefined,
    private readonly credentials?: NatsCredentials,
  ) {}

  async streams(): Promise<StreamView[]> {
    const { jsm } = await this.#connect();
    const streams: StreamView[] = [];
    for await (const info of jsm.streams.list()) {
      const consumers: ConsumerView[] = [];
      for await (const c of jsm.consumers.list(info.config.name)) {
        consumers.push({
          name: c.name,
          filterSubject: c.config.filter_subject ?? "",
          pending: c.num_pending,
          ackPending: c.num_ack_pending,
          redelivered: c.num_redelivered,
          deliveredSeq: c.delivered.stream_seq,
          ackFloorSeq: c.ack_floor.stream_seq,
        });
      }
      streams.push({
        name: info.config.name,
        subjects: info.config.subjects ?? [],
        messages: info.state.messages,
        bytes: info.state.bytes,
        firstSeq: info.state.first_seq,
        lastSeq: info.state.last_seq,
        consumers: consumers.sort((a, b) => a.name.localeCompare(b.name)),
      });
    }
    return streams.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The newest `limit` parked events, newest first. */
  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    const { jsm } = await this.#connect();
    let info: Awaited<ReturnType<JetStreamManager["streams"]["info"]>>;
    try {
      info = await jsm.streams.info(deadLetterStreamName);
    } catch {
      return []; // no service has connected to the bus yet
    }
    const letters: DeadLetter[] = [];
    const first = Math.max(info.state.first_seq, 1);
    for (let seq = info.state.last_seq; seq >= first && letters.length < limit; seq--) {
      const message = await jsm.streams.getMessage(deadLetterStreamName, { seq }).catch(() => null);
      if (message === null) continue; // deleted (re-driven) or expired
      letters.push(this.#letterOf(message.seq, message.time, message.subject, message.header, message.data));
    }
    return letters;
  }

  /**
   * Puts a parked event back on its original subject with its original headers (trace context
   * included, so the retry joins the event's trace), then removes it from DEAD_LETTERS. Every
   * consumer of the subject receives it again; those that applied it already skip it (their
   * inbox has its event id), the one that failed gets another try.
   */
  async redrive(seq: number): Promise<{ subject: string; streamSeq: number }> {
    const { nc, jsm } = await this.#connect();
    const message = await jsm.streams.getMessage(deadLetterStreamName, { seq }).catch(() => null);
    if (message === null) throw new NotFoundError(`no dead letter with sequence ${seq}`);
    const subject = message.header?.get(deadLetterHeaders.subject) ?? "";
    if (subject === "") throw new NotFoundError(`dead letter ${seq} has no ${deadLetterHeaders.subject} header`);
    const headers = natsHeaders();
    for (const [key, values] of message.header ?? []) {
      if (Object.values(deadLetterHeaders).includes(key)) continue;
      for (const value of values) headers.append(key, value);
    }
    headers.set(redrivenFromHeader, `${deadLetterStreamName}:${seq}`);
    // A message id of its own: the original's (the event id) may still be in the stream's
    // duplicate window, which would silently drop the re-drive.
    const ack = await jetstream(nc).publish(subject, message.data, {
      headers,
      msgID: `redrive-${deadLetterStreamName}-${seq}`,
    });
    await jsm.streams.deleteMessage(deadLetterStreamName, seq);
    return { subject, streamSeq: ack.seq };
  }

  async close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection) await (await connection.catch(() => undefined))?.nc.close();
  }

  #letterOf(seq: number, time: Date, subject: string, header: MsgHdrs | undefined, data: Uint8Array): DeadLetter {
    const headers: Record<string, string> = {};
    for (const [key, values] of header ?? []) headers[key] = values.join(", ");
    const type = headers["ce-type"] ?? "";
    const schema = type ? this.registry?.getMessage(type) : undefined;
    let payload: unknown;
    if (schema) {
      try {
        payload = toJson(schema, fromBinary(schema, data), { registry: this.registry });
      } catch {
        payload = undefined;
      }
    }
    const traceparent = /^00-([0-9a-f]{32})-/.exec(headers.traceparent ?? "");
    return {
      seq,
      timeMs: time.getTime(),
      consumer: headers[deadLetterHeaders.consumer] ?? subject.split(".")[1] ?? "",
      originalSubject: headers[deadLetterHeaders.subject] ?? "",
      reason: headers[deadLetterHeaders.reason] ?? "",
      eventId: headers["ce-id"] ?? "",
      eventType: type,
      eventSubject: headers["ce-subject"] ?? "",
      source: headers["ce-source"] ?? "",
      traceId: traceparent?.[1],
      payload,
      payloadBase64: Buffer.from(data).toString("base64"),
      headers,
    };
  }

  #connect(): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
    this.#connection ??= (async () => {
      const nc = await connect({
        servers: this.natsUrl.split(","),
        name: "weft-console",
        ...(this.credentials ? { user: this.credentials.user, pass: this.credentials.password } : {}),
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
      });
      return { nc, jsm: await jetstreamManager(nc) };
    })().catch((error: unknown) => {
      this.#connection = undefined;
      throw error;
    });
    return this.#connection;
  }
}

export class NotFoundError extends Error {}
