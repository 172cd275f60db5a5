import { randomUUID } from "node:crypto";
import type { EventEmitter } from "node:events";
import type { DescMessage } from "@bufbuild/protobuf";
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
import type { CallContext, EndUser, MethodInfo, ServiceBinding } from "./binding.ts";
import { methodsOf } from "./binding.ts";
import { runInCall } from "./call-store.ts";
import { Code, RpcError } from "./errors.ts";
import { messagesOf, writeAll } from "./streams.ts";
import { carriesText, refuseBadText } from "./text-fields.ts";

/** Any server-side call object grpc-js hands a handler. */
export type ServerCall =
  | ServerUnaryCall<unknown, unknown>
  | ServerReadableStream<unknown, unknown>
  | ServerWritableStream<unknown, unknown>
  | ServerDuplexStream<unknown, unknown>;

/**
 * Runs around every call: `next` runs the rest of the chain and the handler, and settles when
 * the response has been produced (or rejects with what the caller will be told). Throwing an
 * RpcError before calling `next` refuses the call.
 */
export type ServerInterceptor = (context: CallContext, next: () => Promise<void>) => Promise<void>;

/** How the server side learns about the transport and reports failures. */
export interface ImplementOptions {
  /** The verified identity of the peer of a call (set by the mesh from mTLS or the sidecar). */
  principalOf?: (call: ServerCall) => string | undefined;
  /** Outermost first. */
  interceptors?: readonly ServerInterceptor[];
  /** Budget of a call whose caller set no deadline, so no handler runs unbounded. Default: none. */
  defaultDeadlineMs?: number;
  /**
   * Gives a failure that is not an RpcError the status it deserves (the mesh maps database
   * errors: a refused value is INVALID_ARGUMENT, not INTERNAL), before interceptors see it.
   */
  translateError?: (error: unknown) => RpcError | undefined;
  /** Called for every error that is not an RpcError (nor translated): the caller only sees INTERNAL. */
  onUnexpectedError?: (error: unknown, method: MethodInfo) => void;
  /** Aborts every running handler's signal, e.g. when a shutdown's grace period runs out. */
  shutdownSignal?: AbortSignal;
  /**
   * The end user of a call from its `authorization` header (undefined when there is none), behind
   * `context.user()`. Without it, a call that carries a token is refused: nothing can verify it.
   */
  authenticate?: (authorization: string | undefined) => Promise<EndUser | undefined>;
}

/** What `context.user()` does when the server was given no way to verify tokens. */
async function noVerifier(authorization: string | undefined): Promise<undefined> {
  if (authorization === undefined) return undefined;
  throw new RpcError(Code.UNAUTHENTICATED, "access tokens are not verified here: the app configures no token issuer");
}

/** Requires an end user: the call's verified one, or UNAUTHENTICATED. */
export async function requireUser(context: Pick<CallContext, "user">): Promise<EndUser> {
  const user = await context.user();
  if (user === undefined) throw new RpcError(Code.UNAUTHENTICATED, "a bearer access token is required");
  return user;
}

type UnaryHandler = (request: unknown, context: CallContext) => Promise<unknown>;
type StreamingHandler = (request: unknown, context: CallContext) => AsyncIterable<unknown>;

/**
 * Adapts async handlers (the interface generated for a service) to grpc-js's callback API:
 * every method kind, cancellation and deadlines as an AbortSignal, interceptors around each
 * call, errors as gRPC statuses with details. Every request message has its text checked
 * (text-fields.ts) after the interceptors admitted the call and before the handler sees it.
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
    implementation[key] = adapt(method, binding.desc.method[key]?.input, handler.bind(handlers), options);
  }
  return implementation;
}

function adapt(
  method: MethodInfo,
  requestSchema: DescMessage | undefined,
  handler: UnaryHandler | StreamingHandler,
  options: ImplementOptions,
): UntypedHandleCall {
  const fail = (error: unknown): Partial<StatusObject> => statusOf(error, method, options);
  const schema = requestSchema !== undefined && carriesText(requestSchema) ? requestSchema : undefined;
  /** The request as the handler gets it: checked now (unary), or message by message (streams). */
  const admit = (input: unknown): unknown => {
    if (schema === undefined) return input;
    if (!method.requestStream) {
      refuseBadText(schema, input);
      return input;
    }
    return checkedStream(schema, input as AsyncIterable<unknown>);
  };
  /** Runs the handler's work, giving known non-RpcError failures their status first. */
  const translated = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof RpcError || options.translateError === undefined) throw error;
      throw options.translateError(error) ?? error;
    }
  };
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
      let response: unknown;
      const execute = async () => {
        const admitted = admit(input);
        response = await translated(() => untilAborted(run(admitted, context), context.signal));
      };
      intercepted(context, options, execute)
        .then(
          () => callback(null, response, context.responseTrailers),
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
    const execute = async () => {
      const admitted = admit(input);
      await translated(() => untilAborted(writeAll(call, run(admitted, context), context.signal), context.signal));
    };
    intercepted(context, options, execute)
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

/** A client stream whose every message has its text checked as it arrives. */
async function* checkedStream(schema: DescMessage, messages: AsyncIterable<unknown>): AsyncIterable<unknown> {
  for await (const message of messages) {
    refuseBadText(schema, message);
    yield message;
  }
}

/** Runs the interceptor chain around `execute`, inside the call's async context. */
function intercepted(context: CallContext, options: ImplementOptions, execute: () => Promise<void>): Promise<void> {
  const interceptors = options.interceptors ?? [];
  const step = async (index: number): Promise<void> => {
    context.signal.throwIfAborted();
    const interceptor = interceptors[index];
    if (interceptor === undefined) return execute();
    return interceptor(context, () => step(index + 1));
  };
  return runInCall(context, () => step(0));
}

/**
 * Settles with the handler, or as soon as the call's signal aborts (deadline, cancellation,
 * shutdown): a handler that ignores its signal cannot hold the caller past its deadline.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function statusOf(error: unknown, method: MethodInfo, options: ImplementOptions): Partial<StatusObject> {
  if (error instanceof RpcError) return error.toStatus();
  options.onUnexpectedError?.(error, method);
  // Never leak an exception's text to the caller: it may hold internals.
  return { code: Code.INTERNAL, details: "internal error", metadata: new Metadata() };
}

/** The status code a call ends with when its handler chain settles with `error` (undefined: OK). */
export function codeOf(error: unknown): Code {
  if (error === undefined) return Code.OK;
  return error instanceof RpcError ? error.code : Code.INTERNAL;
}

function contextFor(call: ServerCall, method: MethodInfo, options: ImplementOptions) {
  const controller = new AbortController();
  const abort = (code: Code, message: string) => {
    if (!controller.signal.aborted) controller.abort(new RpcError(code, message));
  };

  // A deadline the caller set is enforced by grpc-js itself, which cancels the call when it
  // passes (the "cancelled" event below, told apart by the clock); only the server's own default
  // for calls that carry none needs a timer of ours.
  const callerDeadline = toDate(call.getDeadline());
  const deadline =
    callerDeadline ??
    (options.defaultDeadlineMs === undefined ? undefined : new Date(Date.now() + options.defaultDeadlineMs));
  const deadlinePassed = () => deadline !== undefined && Date.now() >= deadline.getTime();
  const expire = () => abort(Code.DEADLINE_EXCEEDED, "deadline exceeded");
  let timer: NodeJS.Timeout | undefined;
  if (deadlinePassed()) expire();
  else if (callerDeadline === undefined && deadline !== undefined)
    timer = setTimeout(expire, deadline.getTime() - Date.now());

  // Every grpc-js call object is an EventEmitter; the union of their typings is not callable.
  const events: EventEmitter = call;
  const onCancelled = () => (deadlinePassed() ? expire() : abort(Code.CANCELLED, "call cancelled by the caller"));
  events.once("cancelled", onCancelled);
  const onShutdown = () => abort(Code.UNAVAILABLE, "server shutting down");
  options.shutdownSignal?.addEventListener("abort", onShutdown, { once: true });

  const requestId = call.metadata.get("x-request-id")[0];
  let user: Promise<EndUser | undefined> | undefined;
  const context: CallContext = {
    method,
    signal: controller.signal,
    deadline,
    metadata: call.metadata,
    requestId:
      typeof requestId === "string" && requestId.length > 0 && requestId.length <= 128 ? requestId : randomUUID(),
    peerAddress: call.getPeer(),
    principal: options.principalOf?.(call),
    responseTrailers: new Metadata(),
    user() {
      const header = call.metadata.get("authorization")[0];
      user ??= (options.authenticate ?? noVerifier)(typeof header === "string" ? header : undefined);
      return user;
    },
  };
  const done = () => {
    clearTimeout(timer);
    events.removeListener("cancelled", onCancelled);
    options.shutdownSignal?.removeEventListener("abort", onShutdown);
  };
  return { context, done };
}

function toDate(deadline: Date | number): Date | undefined {
  if (deadline instanceof Date) return deadline;
  return Number.isFinite(deadline) ? new Date(deadline) : undefined;
}
