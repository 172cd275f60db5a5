import type { EventEmitter } from "node:events";
import {
  Metadata,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type StatusObject,
  type sendUnaryData,
  type UntypedHandleCall,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";

/** Any server-side call object grpc-js hands a handler. */
export type ServerCall =
  | ServerUnaryCall<unknown, unknown>
  | ServerReadableStream<unknown, unknown>
  | ServerWritableStream<unknown, unknown>
  | ServerDuplexStream<unknown, unknown>;

import type { CallContext, MethodInfo, ServiceBinding } from "./binding.ts";
import { methodsOf } from "./binding.ts";
import { Code, RpcError } from "./errors.ts";
import { messagesOf, writeAll } from "./streams.ts";

/** How the server side learns about the transport and reports failures. */
export interface ImplementOptions {
  /** The verified identity of the peer of a call (set by the mesh from mTLS or the sidecar). */
  principalOf?: (call: ServerCall) => string | undefined;
  /** Called for every error that is not an RpcError: the caller only sees INTERNAL. */
  onUnexpectedError?: (error: unknown, method: MethodInfo) => void;
}

type UnaryHandler = (request: unknown, context: CallContext) => Promise<unknown>;
type StreamingHandler = (request: unknown, context: CallContext) => AsyncIterable<unknown>;

/**
 * Adapts async handlers (the interface generated for a service) to grpc-js's callback API:
 * every method kind, cancellation as an AbortSignal, errors as gRPC statuses with details.
 */
export function implement<Handlers, Client>(
  binding: ServiceBinding<Handlers, Client>,
  handlers: Handlers,
  options: ImplementOptions = {},
): UntypedServiceImplementation {
  const implementation: UntypedServiceImplementation = {};
  for (const [key, method] of methodsOf(binding)) {
    const handler = (handlers as Record<string, unknown>)[key];
    if (typeof handler !== "function") {
      throw new TypeError(`${method.service}: no handler for ${method.name} (expected a function named ${key})`);
    }
    const bound = handler.bind(handlers);
    implementation[key] = adapt(method, bound, options);
  }
  return implementation;
}

function adapt(
  method: MethodInfo,
  handler: UnaryHandler | StreamingHandler,
  options: ImplementOptions,
): UntypedHandleCall {
  const fail = (error: unknown): Partial<StatusObject> => statusOf(error, method, options);
  if (!method.responseStream) {
    const run = handler as UnaryHandler;
    return (
      call: ServerUnaryCall<unknown, unknown> | ServerReadableStream<unknown, unknown>,
      callback: sendUnaryData<unknown>,
    ) => {
      const { context, done } = contextFor(call, method, options);
      const input = method.requestStream
        ? messagesOf(call as ServerReadableStream<unknown, unknown>)
        : (call as ServerUnaryCall<unknown, unknown>).request;
      invoke(() => run(input, context))
        .then(
          (response) => callback(null, response, context.responseTrailers),
          (error: unknown) => callback(fail(error)),
        )
        .finally(done);
    };
  }
  const run = handler as StreamingHandler;
  return (call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>) => {
    const { context, done } = contextFor(call, method, options);
    const input = method.requestStream
      ? messagesOf(call as ServerDuplexStream<unknown, unknown>)
      : (call as ServerWritableStream<unknown, unknown>).request;
    writeAll(call, run(input, context), context.signal)
      .then(
        () => call.end(context.responseTrailers),
        (error: unknown) => {
          // A cancelled call has no one left to tell.
          if (!call.cancelled) call.emit("error", fail(error));
        },
      )
      .finally(done);
  };
}

/** Runs a handler so that a synchronous throw becomes a rejection like any other failure. */
async function invoke<T>(run: () => Promise<T>): Promise<T> {
  return run();
}

function statusOf(error: unknown, method: MethodInfo, options: ImplementOptions): Partial<StatusObject> {
  if (error instanceof RpcError) return error.toStatus();
  options.onUnexpectedError?.(error, method);
  // Never leak an exception's text to the caller: it may hold internals.
  return { code: Code.INTERNAL, details: "internal error", metadata: new Metadata() };
}

function contextFor(call: ServerCall, method: MethodInfo, options: ImplementOptions) {
  const controller = new AbortController();
  const onCancelled = () => controller.abort(new RpcError(Code.CANCELLED, "call cancelled by the caller"));
  // Every grpc-js call object is an EventEmitter; the union of their typings is not callable.
  const events: EventEmitter = call;
  events.once("cancelled", onCancelled);
  const rawDeadline = call.getDeadline();
  const deadline = toDate(rawDeadline);
  let timer: NodeJS.Timeout | undefined;
  if (deadline !== undefined) {
    const abortOnDeadline = () => controller.abort(new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded"));
    const remaining = deadline.getTime() - Date.now();
    if (remaining <= 0) abortOnDeadline();
    else timer = setTimeout(abortOnDeadline, remaining);
  }
  const context: CallContext = {
    method,
    signal: controller.signal,
    deadline,
    metadata: call.metadata,
    peerAddress: call.getPeer(),
    principal: options.principalOf?.(call),
    responseTrailers: new Metadata(),
  };
  const done = () => {
    clearTimeout(timer);
    events.removeListener("cancelled", onCancelled);
  };
  return { context, done };
}

function toDate(deadline: Date | number): Date | undefined {
  if (deadline instanceof Date) return deadline;
  return Number.isFinite(deadline) ? new Date(deadline) : undefined;
}
