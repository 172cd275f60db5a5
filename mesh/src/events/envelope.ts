import type { MsgHdrs } from "@nats-io/transport-node";

/**
 * Events travel in CloudEvents' binary content mode: the protobuf payload is the message body and
 * the envelope (id, type, source, subject, time) travels in headers, next to the W3C trace context.
 * Any language with a NATS client and the protos can read them.
 */
export const envelopeHeaders = {
  id: "ce-id",
  type: "ce-type",
  source: "ce-source",
  subject: "ce-subject",
  time: "ce-time",
  specVersion: "ce-specversion",
  contentType: "content-type",
} as const;

export const protobufContentType = "application/protobuf";

export interface Envelope {
  id: string;
  type: string;
  source: string;
  subject: string;
  time: Date;
}

export function readEnvelope(headers: MsgHdrs | undefined): Envelope | undefined {
  const get = (name: string) => headers?.get(name) ?? "";
  const id = get(envelopeHeaders.id);
  const type = get(envelopeHeaders.type);
  const time = new Date(get(envelopeHeaders.time));
  if (id === "" || type === "" || Number.isNaN(time.getTime())) return undefined;
  return { id, type, source: get(envelopeHeaders.source), subject: get(envelopeHeaders.subject), time };
}
