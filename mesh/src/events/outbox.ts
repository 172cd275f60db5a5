import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { context, propagation } from "@opentelemetry/api";
import { v7 as uuidv7 } from "uuid";
import type { Transaction } from "../data/index.ts";
import { outbox } from "./tables.ts";

export interface NewEvent<Desc extends DescMessage> {
  schema: Desc;
  message: MessageInitShape<Desc>;
  /** What the event is about: the id of the order, product, user… */
  subject: string;
}

/**
 * Records a domain event in the outbox, inside the caller's transaction: it is published (by the
 * relay) only if the transaction commits. Returns the event id, which is also its Nats-Msg-Id.
 */
export async function recordEvent<Schema extends Record<string, unknown>, Desc extends DescMessage>(
  tx: Transaction<Schema>,
  event: NewEvent<Desc>,
): Promise<string> {
  const id = uuidv7();
  const traceHeaders: Record<string, string> = {};
  propagation.inject(context.active(), traceHeaders);
  await tx.insert(outbox).values({
    id,
    type: event.schema.typeName,
    subject: event.subject,
    payload: toBinary(event.schema, create(event.schema, event.message)),
    traceHeaders,
  });
  return id;
}
