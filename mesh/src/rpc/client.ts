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

/** What the mesh adds to an outgoing call before it leaves: headers and a deadline. */
export interface OutgoingCall {
  readonly method: MethodInfo;
  readonly metadata: Metadata;
  /** The deadline the call will carry; the transport may shorten it, never lengthen it. */
  deadline: Date | undefined;
}

/** The channel generated clients call over, and the hooks the mesh plugs into it. */
export interface ClientTransport {
  /** The grpc-js client that owns the channel. */
  readonly client: Client;
  /** Budget of a call that sets neither timeoutMs nor deadline. Default 10 s: every call has a deadline. */
  readonly defaultTimeoutMs?: number;
  /** Adjusts every outgoing call: propagated headers, a deadline clamped to the incoming one. */
  readonly prepare?: (call: OutgoingCall) => void;
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
  return {
    client: new Client(address, credentials, options.channelOptions),
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

class MethodCaller {
  constructor(
    private readonly transport: ClientTransport,
    private readonly method: MethodInfo,
    private readonly definition: AnyDefinition,
  ) {}

  readonly unary = (request: unknown, options: CallOptions = {}): Promise<unknown> =>
    this.guarded(() =>
      this.settle(options, (metadata, callOptions, callback) =>
        this.transport.client.makeUnaryRequest(
          this.definition.path,
          this.definition.requestSerialize,
          this.definition.responseDeserialize,
          request,
          metadata,
          callOptions,
          callback,
        ),
      ),
    );

  readonly clientStreaming = (requests: AsyncIterable<unknown>, options: CallOptions = {}): Promise<unknown> =>
    this.guarded(() =>
      this.settle(options, (metadata, callOptions, callback) => {
        const call = this.transport.client.makeClientStreamRequest(
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
    this.stream(options, (metadata, callOptions) =>
      this.transport.client.makeServerStreamRequest(
        this.definition.path,
        this.definition.requestSerialize,
        this.definition.responseDeserialize,
        request,
        metadata,
        callOptions,
      ),
    );

  readonly bidiStreaming = (requests: AsyncIterable<unknown>, options: CallOptions = {}): AsyncIterable<unknown> =>
    this.stream(options, (metadata, callOptions) => {
      const call = this.transport.client.makeBidiStreamRequest(
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
  private settle(
    options: CallOptions,
    start: (
      metadata: Metadata,
      callOptions: GrpcCallOptions,
      callback: (error: ServiceError | null, response?: unknown) => void,
    ) => SurfaceCall,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const { metadata, callOptions } = this.outgoing(options);
      let release = () => {};
      const call = start(metadata, callOptions, (error, response) => {
        release();
        if (error) reject(RpcError.fromServiceError(error));
        else resolve(response);
      });
      release = watch(call, options);
    });
  }

  private async *stream(
    options: CallOptions,
    start: (
      metadata: Metadata,
      callOptions: GrpcCallOptions,
    ) => ClientReadableStream<unknown> | ClientDuplexStream<unknown, unknown>,
  ): AsyncGenerator<unknown> {
    const { metadata, callOptions } = this.outgoing(options);
    const call = start(metadata, callOptions);
    const release = watch(call, options);
    let finished = false;
    try {
      for await (const message of call) yield message;
      finished = true;
    } catch (error) {
      finished = true;
      throw isServiceError(error) ? RpcError.fromServiceError(error) : error;
    } finally {
      release();
      // The consumer stopped reading early: tell the server to stop too.
      if (!finished) call.cancel();
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

  private outgoing(options: CallOptions): { metadata: Metadata; callOptions: GrpcCallOptions } {
    const metadata = toMetadata(options.metadata);
    const budget = options.timeoutMs ?? this.transport.defaultTimeoutMs ?? defaultTimeoutMs;
    const outgoing: OutgoingCall = {
      method: this.method,
      metadata,
      deadline: options.deadline ?? new Date(Date.now() + Math.max(0, Math.floor(budget))),
    };
    this.transport.prepare?.(outgoing);
    return { metadata, callOptions: outgoing.deadline ? { deadline: outgoing.deadline } : {} };
  }
}

/** Wires an AbortSignal and a header callback to a call; returns what undoes the wiring. */
function watch(call: SurfaceCall, options: CallOptions): () => void {
  if (options.onHeader) call.on("metadata", options.onHeader);
  const signal = options.signal;
  if (!signal) return () => {};
  const cancel = () => call.cancel();
  if (signal.aborted) cancel();
  else signal.addEventListener("abort", cancel, { once: true });
  return () => signal.removeEventListener("abort", cancel);
}

function toMetadata(input: CallOptions["metadata"]): Metadata {
  if (input instanceof Metadata) return input.clone();
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(input ?? {})) metadata.set(key, value);
  return metadata;
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === "number" && "metadata" in error;
}

export { Code };
