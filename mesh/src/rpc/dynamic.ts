import {
  create,
  type DescMethod,
  type DescService,
  fromBinary,
  isMessage,
  type Message,
  type MessageInitShape,
  toBinary,
} from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";
import type { CallOptions, ServiceBinding } from "./binding.ts";
import { bufferOf } from "./codec.ts";

/** A client of a service known only by its descriptor: one function per method, by its localName. */
export type DynamicClient = Record<
  string,
  (request: Message, options?: CallOptions) => Promise<Message> | AsyncIterable<Message>
>;

/**
 * A binding built at run time from a descriptor (e.g. read from gen/weft.binpb), with the same
 * protobuf-es codecs generated bindings use: what lets the edge, or the token verifier, call a
 * service whose generated code it does not import.
 */
export function dynamicBinding(service: DescService): ServiceBinding<unknown, DynamicClient> {
  const definition: ServiceDefinition = Object.fromEntries(
    service.methods.map((method) => [method.localName, methodDefinition(service, method)]),
  );
  return { desc: service, definition };
}

function methodDefinition(service: DescService, method: DescMethod): MethodDefinition<Message, Message> {
  const streams = { client: ["client_streaming", "bidi_streaming"], server: ["server_streaming", "bidi_streaming"] };
  const encode =
    <D extends DescMethod["input"]>(desc: D) =>
    (value: Message): Buffer =>
      bufferOf(toBinary(desc, isMessage(value, desc) ? value : create(desc, value as MessageInitShape<D>)));
  return {
    path: `/${service.typeName}/${method.name}`,
    requestStream: streams.client.includes(method.methodKind),
    responseStream: streams.server.includes(method.methodKind),
    requestSerialize: encode(method.input),
    requestDeserialize: (bytes: Buffer) => fromBinary(method.input, bytes),
    responseSerialize: encode(method.output),
    responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
    originalName: method.name,
  };
}
