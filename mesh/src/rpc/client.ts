import {
  type ChannelCredentials,
  type ChannelOptions,
  Client,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ClientWritableStream,
  type CallOptions as GrpcCallOptions,
  Metadata,
  type MethodDefinition,
  type ServiceError,
  type Call as SurfaceCall,
} from "@grpc/grpc-js";
import type { CallOptions, MethodInfo, ServiceBinding } from "./binding.ts";
import { methodsOf } from "./binding.ts";
import { Code, RpcError } from "./errors.ts";
import { writeAll } from "./streams.ts";

/** An outgoing call as the transport's hooks see it before it leaves. */
export interface OutgoingCall {
  readonly method: MethodInfo;
  /** The request, for unary and server-streaming calls; undefined when the client streams. */
  readonly request: unknown;
  /** Headers to send; hooks add propagated ones. */
  readonly metadata: Metadata;
  /** The deadline the call will carry; a hook may shorten it, never lengthen it. */
  deadline: Date;
}

/** What a transport's `begin` hook hands back for one call. */
export interface CallHooks {
  /** Cancels the call when it aborts (e.g. the incoming call it serves was cancelled). */
  readonly signal?: AbortSignal;
  /** Called once with the call's final status code, and the error when it failed. */
  finish?(code: Code, error: RpcError | undefined): void;
}

/** The channel generated clients call over, and the hooks the mesh plugs into it. */
export interface ClientTransport {
  /** The grpc-js client that owns the channel a call goes over. */
  channelFor(call: OutgoingCall): Client;
  /** Budget of a call that sets neither timeoutMs nor deadline. Default 10 s: every call has a deadline. */
  readonly defaultTimeoutMs?: number;
  /**
   * Runs as each call starts: propagates headers and the incoming deadline, starts spans and
   * timers. Throwing an RpcError fails the call before it is sent.
   */
  readonly begin?: (call: OutgoingCall) => CallHooks | undefined;
  /** Runs every unary and client-streaming call, e.g. inside a circuit breaker and bulkhead. */
  readonly guard?: <T>(method: MethodInfo, attempt: () => Promise<T>) => Promise<T>;
}

export const defaultTimeoutMs = 10_000;

export interface CreateTransportOptions {
  channelOptions?: Partial<ChannelOptions>;
  defaultTimeoutMs?: number;
}

/** A transport over a plain grpc-js channel: what the mesh builds on, and enough for tests. */
export function createTransport(
  address: string,
  credentials: ChannelCredentials,
  options: CreateTransportOptions = {},
): ClientTransport {
  const client = new Client(address, credentials, options.channelOptions);
  return {
    channelFor: () => client,
    defaultTimeoutMs: options.defaultTimeoutMs ?? defaultTimeoutMs,
  };
}

type AnyDefinition = MethodDefinition<unknown, unknown>;

/**
 * Builds a typed client from a generated binding. The generated interface and the binding's
 * definition come from the same proto, so the one cast below is where they meet.
 */
export function createClient<Handlers, Client>(
  binding: ServiceBinding<Handlers, Client>,
  transport: ClientTransport,
): Client {
  const client: Record<string, unknown> = {};
  for (const [key, method] of methodsOf(binding)) {
    const definition = binding.definition[key] as AnyDefinition;
    const caller = new MethodCaller(transport, method, definition);
    if (!method.requestStream && !method.responseStream) client[key] = caller.unary;
    else if (!method.requestStream) client[key] = caller.serverStreaming;
    else if (!method.responseStream) client[key] = caller.clientStreaming;
    else client[key] = caller.bidiStreaming;
  }
  return client as Client;
}

/** Starts one call that ends in one response (unary, client streaming) on a channel. */
type CallStarter = (
  channel: Client,
  metadata: Metadata,
  callOptions: GrpcCallOptions,
  callback: (error: ServiceError | null, response?: unknown) => void,
  request: unknown,
) => SurfaceCall;

class MethodCaller {
  constructor(
    private readonly transport: ClientTransport,
    private readonly method: MethodInfo,
    private readonly definition: AnyDefinition,
  ) {}

  readonly unary = (request: unknown, options: CallOptions = {}): Promise<unknown> =>
    this.guarded(() => this.settle(request, options, this.startUnary));

  /** Made once per method, not per call: the request travels as an argument. */
  private readonly startUnary: CallStarter = (channel, metadata, callOptions, callback, request) =>
    channel.makeUnaryRequest(
      this.definition.path,
      this.definition.requestSerialize,
      this.definition.responseDeserialize,
      request,
      metadata,
      callOptions,
      callback,
    );

  readonly clientStreaming = (requests: AsyncIterable<unknown>, options: CallOptions = {}): Promise<unknown> =>
    this.guarded(() =>
      this.settle(undefined, options, (channel, metadata, callOptions, callback) => {
        const call = channel.makeClientStreamRequest(
          this.definition.path,
          this.definition.requestSerialize,
          this.definition.responseDeserialize,
          metadata,
          callOptions,
          callback,
        );
        this.pump(call, requests);
        return call;
      }),
    );

  readonly serverStreaming = (request: unknown, options: CallOptions = {}): AsyncIterable<unknown> =>
    this.stream(request, options, (channel, metadata, callOptions) =>
      channel.makeServerStreamRequest(
        this.definition.path,
        this.definition.requestSerialize,
        this.definition.responseDeserialize,
        request,
        metadata,
        callOptions,
      ),
    );

  readonly bidiStreaming = (requests: AsyncIterable<unknown>, options: CallOptions = {}): AsyncIterable<unknown> =>
    this.stream(undefined, options, (channel, metadata, callOptions) => {
      const call = channel.makeBidiStreamRequest(
        this.definition.path,
        this.definition.requestSerialize,
        this.definition.responseDeserialize,
        metadata,
        callOptions,
      );
      this.pump(call, requests);
      return call;
    });

  private guarded<T>(attempt: () => Promise<T>): Promise<T> {
    return this.transport.guard ? this.transport.guard(this.method, attempt) : attempt();
  }

  /** Runs a call that ends in one response, settling on the callback grpc-js calls once. */
  private settle(request: unknown, options: CallOptions, start: CallStarter): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const outgoing = this.outgoing(request, options);
      const hooks = this.transport.begin?.(outgoing);
      let release = unwatched;
      const channel = this.transport.channelFor(outgoing);
      const limit = withoutCallerStack();
      let call: SurfaceCall;
      try {
        call = start(
          channel,
          outgoing.metadata,
          { deadline: outgoing.deadline },
          (error, response) => {
            release();
            const failure = error ? RpcError.fromServiceError(error) : undefined;
            hooks?.finish?.(failure?.code ?? Code.OK, failure);
            if (failure) reject(failure);
            else resolve(response);
          },
          request,
        );
      } finally {
        Error.stackTraceLimit = limit;
      }
      release = watch(call, options, hooks?.signal);
    });
  }

  private async *stream(
    request: unknown,
    options: CallOptions,
    start: (
      channel: Client,
      metadata: Metadata,
      callOptions: GrpcCallOptions,
    ) => ClientReadableStream<unknown> | ClientDuplexStream<unknown, unknown>,
  ): AsyncGenerator<unknown> {
    const outgoing = this.outgoing(request, options);
    const hooks = this.transport.begin?.(outgoing);
    const limit = withoutCallerStack();
    let call: ClientReadableStream<unknown> | ClientDuplexStream<unknown, unknown>;
    try {
      call = start(this.transport.channelFor(outgoing), outgoing.metadata, { deadline: outgoing.deadline });
    } finally {
      Error.stackTraceLimit = limit;
    }
    const release = watch(call, options, hooks?.signal);
    let outcome: { code: Code; error: RpcError | undefined } | undefined;
    try {
      for await (const message of call) yield message;
      outcome = { code: Code.OK, error: undefined };
    } catch (error) {
      const failure = isServiceError(error) ? RpcError.fromServiceError(error) : RpcError.from(error);
      outcome = { code: failure.code, error: failure };
      throw failure;
    } finally {
      release();
      // The consumer stopped reading early: tell the server to stop too.
      if (outcome === undefined) call.cancel();
      hooks?.finish?.(outcome?.code ?? Code.CANCELLED, outcome?.error);
    }
  }

  /** Feeds a request stream into a call; a failing source cancels the call. */
  private pump(
    call: ClientWritableStream<unknown> | ClientDuplexStream<unknown, unknown>,
    requests: AsyncIterable<unknown>,
  ) {
    const stop = new AbortController();
    call.once("status", () => stop.abort());
    writeAll(call, requests, stop.signal).then(
      () => call.end(),
      () => {
        if (!stop.signal.aborted) call.cancel();
      },
    );
  }

  private outgoing(request: unknown, options: CallOptions): OutgoingCall {
    const budget = options.timeoutMs ?? this.transport.defaultTimeoutMs ?? defaultTimeoutMs;
    return {
      method: this.method,
      request,
      metadata: toMetadata(options.metadata),
      deadline: options.deadline ?? new Date(Date.now() + Math.max(0, Math.floor(budget))),
    };
  }
}

/**
 * grpc-js captures the caller's stack on every call it starts (a `new Error()` in makeUnaryRequest
 * and its siblings), only so that a failure can say where the call was made. Under the mesh's deep
 * async stacks that capture was a measurable share of a successful call's client CPU. The mesh
 * reports a failure as an RpcError naming the method (grpc-js's error stays its `cause`), so the
 * capture is switched off while grpc-js starts a call: returns the limit to restore right after.
 */
function withoutCallerStack(): number {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return limit;
}

const unwatched = () => {};

/** Wires abort signals and a header callback to a call; returns what undoes the wiring. */
function watch(call: SurfaceCall, options: CallOptions, hookSignal: AbortSignal | undefined): () => void {
  if (options.onHeader) call.on("metadata", options.onHeader);
  const own = options.signal;
  const served = hookSignal === own ? undefined : hookSignal;
  // The usual call (no signal of its own, not serving an incoming call): nothing to wire.
  if (own === undefined && served === undefined) return unwatched;
  const cancel = () => call.cancel();
  for (const signal of [own, served]) {
    if (signal === undefined) continue;
    if (signal.aborted) cancel();
    else signal.addEventListener("abort", cancel, once);
  }
  return () => {
    own?.removeEventListener("abort", cancel);
    served?.removeEventListener("abort", cancel);
  };
}

const once = { once: true } as const;

function toMetadata(input: CallOptions["metadata"]): Metadata {
  if (input instanceof Metadata) return input.clone();
  const metadata = new Metadata();
  if (input === undefined) return metadata;
  for (const [key, value] of Object.entries(input)) metadata.set(key, value);
  return metadata;
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === "number" && "metadata" in error;
}

export { Code };
