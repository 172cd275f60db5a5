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
import { type AdmittedCall, admittedOf } from "./admitted.ts";
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
 *
 * Behind the mesh's call gate (server/call-gate.ts) the gate has already decided, observed and
 * timed the call; here is only what the handler needs, and per-call objects (the signal, the
 * trailers, the request id) are made when the handler asks for them.
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
    implementation[key] = adapt(new Serving(method, binding.desc.method[key]?.input, handler.bind(handlers), options));
  }
  return implementation;
}

/** Everything about serving one method that does not change from call to call. */
class Serving {
  /** The request schema when its messages carry text to check, else undefined. */
  readonly textSchema: DescMessage | undefined;
  readonly interceptors: readonly ServerInterceptor[];

  constructor(
    readonly method: MethodInfo,
    requestSchema: DescMessage | undefined,
    readonly handler: UnaryHandler | StreamingHandler,
    readonly options: ImplementOptions,
  ) {
    this.textSchema = requestSchema !== undefined && carriesText(requestSchema) ? requestSchema : undefined;
    this.interceptors = options.interceptors ?? [];
  }

  /** The request as the handler gets it: checked now (unary), or message by message (streams). */
  admit(input: unknown): unknown {
    const schema = this.textSchema;
    if (schema === undefined) return input;
    if (!this.method.requestStream) {
      refuseBadText(schema, input);
      return input;
    }
    return checkedStream(schema, input as AsyncIterable<unknown>);
  }

  /** A known non-RpcError failure (a database's) with the status it deserves. */
  translate(error: unknown): unknown {
    if (error instanceof RpcError || this.options.translateError === undefined) return error;
    return this.options.translateError(error) ?? error;
  }

  status(error: unknown): Partial<StatusObject> {
    return statusOf(error, this.method, this.options);
  }
}

function adapt(serving: Serving): UntypedHandleCall {
  if (!serving.method.responseStream) {
    return (
      call: ServerUnaryCall<unknown, unknown> | ServerReadableStream<unknown, unknown>,
      callback: sendUnaryData<unknown>,
    ) => {
      const lifetime = admittedOf(call.metadata) ?? new LocalCall(call, serving.options);
      const context = new HandlerContext(call, serving, lifetime);
      lifetime.run(runInCall, context, serveUnary, serving, call, callback, context);
    };
  }
  return (call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>) => {
    const lifetime = admittedOf(call.metadata) ?? new LocalCall(call, serving.options);
    const context = new HandlerContext(call, serving, lifetime);
    lifetime.run(runInCall, context, serveStreaming, serving, call, context);
  };
}

async function serveUnary(
  serving: Serving,
  call: ServerUnaryCall<unknown, unknown> | ServerReadableStream<unknown, unknown>,
  callback: sendUnaryData<unknown>,
  context: HandlerContext,
): Promise<void> {
  let response: unknown;
  try {
    const input = serving.method.requestStream
      ? messagesOf(call as ServerReadableStream<unknown, unknown>)
      : (call as ServerUnaryCall<unknown, unknown>).request;
    response = await context.bounded(invoke(serving, context, input, runUnary));
  } catch (error) {
    const failure = serving.translate(error);
    context.lifetime.failed(failure);
    callback(serving.status(failure));
    return;
  } finally {
    context.close();
  }
  callback(null, response, context.trailers);
}

async function serveStreaming(
  serving: Serving,
  call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>,
  context: HandlerContext,
): Promise<void> {
  try {
    const input = serving.method.requestStream
      ? messagesOf(call as ServerDuplexStream<unknown, unknown>)
      : (call as ServerWritableStream<unknown, unknown>).request;
    const stream = (admitted: unknown) =>
      writeAll(call, (serving.handler as StreamingHandler)(admitted, context), context.signal);
    await context.bounded(invoke(serving, context, input, (_serving, _context, admitted) => stream(admitted)));
  } catch (error) {
    const failure = serving.translate(error);
    context.lifetime.failed(failure);
    // A cancelled call has no one left to tell.
    if (!call.cancelled) call.emit("error", serving.status(failure));
    return;
  } finally {
    context.close();
  }
  call.end(context.trailers);
}

function runUnary(serving: Serving, context: CallContext, admitted: unknown): Promise<unknown> {
  return (serving.handler as UnaryHandler)(admitted, context);
}

/**
 * Runs the handler on the admitted request — through the interceptors, when the server was given
 * any (the call gate is not one: it ran before).
 */
function invoke<T>(
  serving: Serving,
  context: HandlerContext,
  input: unknown,
  run: (serving: Serving, context: CallContext, admitted: unknown) => Promise<T>,
): Promise<T> {
  if (context.expired()) return Promise.reject(new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded"));
  if (serving.interceptors.length === 0) return run(serving, context, serving.admit(input));
  let result: T;
  const execute = async () => {
    result = await run(serving, context, serving.admit(input));
  };
  return intercepted(context, serving.interceptors, execute).then(() => result);
}

/** A client stream whose every message has its text checked as it arrives. */
async function* checkedStream(schema: DescMessage, messages: AsyncIterable<unknown>): AsyncIterable<unknown> {
  for await (const message of messages) {
    refuseBadText(schema, message);
    yield message;
  }
}

/** Runs the interceptor chain around `execute`. */
function intercepted(
  context: CallContext,
  interceptors: readonly ServerInterceptor[],
  execute: () => Promise<void>,
): Promise<void> {
  const step = async (index: number): Promise<void> => {
    context.signal.throwIfAborted();
    const interceptor = interceptors[index];
    if (interceptor === undefined) return execute();
    return interceptor(context, () => step(index + 1));
  };
  return step(0);
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

/** What a handler is told about its call; everything not needed by every call is made on first use. */
class HandlerContext implements CallContext {
  readonly method: MethodInfo;
  readonly metadata: Metadata;
  readonly principal: string | undefined;
  #deadline: Date | undefined | null = null;
  #trailers: Metadata | undefined;
  #user: Promise<EndUser | undefined> | undefined;

  constructor(
    private readonly call: ServerCall,
    private readonly serving: Serving,
    readonly lifetime: AdmittedCall | LocalCall,
  ) {
    this.method = serving.method;
    this.metadata = call.metadata;
    this.principal = lifetime.principal;
  }

  get signal(): AbortSignal {
    return this.lifetime.signal;
  }

  get deadline(): Date | undefined {
    if (this.#deadline === null) this.#deadline = this.lifetime.deadline;
    return this.#deadline;
  }

  get requestId(): string {
    return this.lifetime.requestId;
  }

  get peerAddress(): string {
    return this.call.getPeer();
  }

  get responseTrailers(): Metadata {
    this.#trailers ??= new Metadata();
    return this.#trailers;
  }

  /** The trailers a handler set, if it set any. */
  get trailers(): Metadata | undefined {
    return this.#trailers;
  }

  user(): Promise<EndUser | undefined> {
    const header = this.metadata.get("authorization")[0];
    this.#user ??= (this.serving.options.authenticate ?? noVerifier)(typeof header === "string" ? header : undefined);
    return this.#user;
  }

  /** Whether the deadline passed already (nothing is started for a call nobody waits for). */
  expired(): boolean {
    const deadline = this.call.getDeadline();
    const ms = deadline instanceof Date ? deadline.getTime() : deadline;
    return Number.isFinite(ms) && Date.now() >= ms;
  }

  /** Without a gate, the call's own signal bounds the handler (see LocalCall). */
  bounded<T>(work: Promise<T>): Promise<T> {
    return this.lifetime instanceof LocalCall ? untilAborted(work, this.lifetime.signal) : work;
  }

  close(): void {
    if (this.lifetime instanceof LocalCall) this.lifetime.close();
  }
}

/**
 * A call's lifetime on a server without the mesh's call gate (implement() used on its own): its
 * signal aborts on cancellation, on the default deadline (a timer of ours: a deadline the caller
 * set is enforced by grpc-js, which cancels the call) and on shutdown.
 */
class LocalCall implements AdmittedCall {
  readonly principal: string | undefined;
  readonly requestId: string;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #events: EventEmitter;
  readonly #deadline: number;
  readonly #shutdownSignal: AbortSignal | undefined;

  constructor(call: ServerCall, options: ImplementOptions) {
    this.principal = options.principalOf?.(call);
    this.requestId = requestIdOf(call.metadata);
    const callerDeadline = toDate(call.getDeadline());
    const defaultMs = options.defaultDeadlineMs;
    this.#deadline = callerDeadline?.getTime() ?? (defaultMs === undefined ? Infinity : Date.now() + defaultMs);
    if (Date.now() >= this.#deadline) this.expire();
    else if (callerDeadline === undefined && Number.isFinite(this.#deadline)) {
      this.#timer = setTimeout(this.expire, this.#deadline - Date.now());
    }
    // Every grpc-js call object is an EventEmitter; the union of their typings is not callable.
    this.#events = call;
    this.#events.once("cancelled", this.onCancelled);
    this.#shutdownSignal = options.shutdownSignal;
    this.#shutdownSignal?.addEventListener("abort", this.onShutdown, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get deadline(): Date | undefined {
    return Number.isFinite(this.#deadline) ? new Date(this.#deadline) : undefined;
  }

  run<A extends unknown[], R>(work: (...args: A) => R, ...args: A): R {
    return work(...args);
  }

  failed(): void {}

  close(): void {
    clearTimeout(this.#timer);
    this.#events.removeListener("cancelled", this.onCancelled);
    this.#shutdownSignal?.removeEventListener("abort", this.onShutdown);
  }

  private abort(code: Code, message: string): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(new RpcError(code, message));
  }

  private readonly expire = () => this.abort(Code.DEADLINE_EXCEEDED, "deadline exceeded");
  private readonly onCancelled = () =>
    Date.now() >= this.#deadline ? this.expire() : this.abort(Code.CANCELLED, "call cancelled by the caller");
  private readonly onShutdown = () => this.abort(Code.UNAVAILABLE, "server shutting down");
}

/** The caller's `x-request-id` when it is a sensible one, else a fresh one. */
export function requestIdOf(metadata: Metadata): string {
  const given = metadata.get("x-request-id")[0];
  return typeof given === "string" && given.length > 0 && given.length <= 128 ? given : randomUUID();
}

function toDate(deadline: Date | number): Date | undefined {
  if (deadline instanceof Date) return deadline;
  return Number.isFinite(deadline) ? new Date(deadline) : undefined;
}
