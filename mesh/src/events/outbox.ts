import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { context, propagation } from "@opentelemetry/api";
import { sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import { afterCommit, databaseOf, type Transaction } from "../data/index.ts";
import { commitPublisherOf } from "./on-commit.ts";
import { outbox } from "./tables.ts";

export interface NewEvent<Desc extends DescMessage> {
  schema: Desc;
  message: MessageInitShape<Desc>;
  /** What the event is about: the id of the order, product, user… */
  subject: string;
}

/**
 * Records a domain event in the outbox, inside the caller's transaction: it is published only if
 * the transaction commits. When this process runs the database's relay, the relay publishes it
 * straight after the commit; otherwise a relay round takes the row. Returns the event id, which is
 * also its Nats-Msg-Id.
 */
export async function recordEvent<Schema extends Record<string, unknown>, Desc extends DescMessage>(
  tx: Transaction<Schema>,
  event: NewEvent<Desc>,
): Promise<string> {
  const id = uuidv7();
  const traceHeaders: Record<string, string> = {};
  propagation.inject(context.active(), traceHeaders);
  const row = {
    id,
    type: event.schema.typeName,
    subject: event.subject,
    payload: toBinary(event.schema, create(event.schema, event.message)),
    traceHeaders,
  };
  const db = databaseOf(tx);
  const publisher = db === undefined ? undefined : commitPublisherOf(db);
  if (publisher === undefined) {
    await tx.insert(outbox).values(row);
    return id;
  }
  // The row and the published envelope carry the same time, also if a relay republishes the row.
  const createdAt = new Date();
  await tx.insert(outbox).values({
    ...row,
    createdAt,
    // Relays leave the row to this process until then (and the outbox's trigger wakes none of them).
    relayAfter: sql`clock_timestamp() + ${`${publisher.handOverMs} milliseconds`}::interval`,
  });
  afterCommit(tx, () => publisher.publishCommitted({ ...row, createdAt }));
  return id;
}
