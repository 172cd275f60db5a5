// The mesh's side of every incoming call, as one grpc-js server interceptor: it runs when the
// request headers arrive, before grpc-js reads (let alone decodes) the request body. It starts
// the call's observation (server span when sampled, RED metrics, the access-log line at the end),
// finds the peer's identity, enforces the istio/ AuthorizationPolicies — a refused call is answered
// right there and its body never read — applies the server's default deadline, and hands the
// handler (rpc/implement.ts) what it settled, on the request metadata.
import type {
  Metadata,
  ServerInterceptingCall,
  ServerInterceptingCallInterface,
  ServerInterceptor,
} from "@grpc/grpc-js";
import { type Context, context as otelContext, type Span, trace } from "@opentelemetry/api";
import type { PeerCall } from "../identity/index.ts";
import { type AdmittedCall, attachAdmitted } from "../rpc/admitted.ts";
import type { MethodInfo } from "../rpc/binding.ts";
import { Code, RpcError } from "../rpc/errors.ts";
import { requestIdOf } from "../rpc/implement.ts";
import { isServerFailure } from "../rpc/status-classes.ts";
import {
  extractTraceContext,
  type Logger,
  type MethodMetrics,
  type RpcMetrics,
  RpcSpanTemplate,
} from "../telemetry/index.ts";
import type { Authorization } from "./authorization.ts";

/** What the transport reports a call's events to (grpc-js does not export the name). */
type InterceptingServerListener = Parameters<ServerInterceptingCallInterface["start"]>[0];
type PartialStatusObject = Parameters<ServerInterceptingCallInterface["sendStatus"]>[0];

export interface CallGateOptions {
  /** The methods the gate guards, by gRPC path; anything else (health, reflection) passes untouched. */
  methods: ReadonlyMap<string, MethodInfo>;
  /** The verified identity of a call's peer. */
  principalOf: (call: PeerCall) => string | undefined;
  /** The workload's policies; undefined where nothing is enforced (MESH_MTLS=off). */
  authorization: Authorization | undefined;
  /** Budget of a call whose caller set no deadline. */
  defaultDeadlineMs: number | undefined;
  /** Aborted when a shutdown's grace period is over: calls cut off then end UNAVAILABLE. */
  shutdownSignal: AbortSignal;
  logger: Logger;
  metrics: RpcMetrics;
}

/** What the gate holds per method: labels bound, span template built. */
interface GuardedMethod {
  readonly method: MethodInfo;
  readonly metrics: MethodMetrics;
  readonly spans: RpcSpanTemplate;
}

export function callGate(options: CallGateOptions): ServerInterceptor {
  const guarded = new Map<string, GuardedMethod>();
  for (const [path, method] of options.methods) {
    guarded.set(path, {
      method,
      metrics: options.metrics.bind("server", method),
      spans: new RpcSpanTemplate("server", method),
    });
  }
  return (descriptor, next) => {
    const method = guarded.get(descriptor.path);
    // grpc-js only ever uses the interface; its class is what the typing names.
    return (method === undefined ? next : new GatedCall(next, method, options)) as ServerInterceptingCall;
  };
}

/**
 * One call through the gate: both the call grpc-js's handler talks to (it forwards everything to
 * the transport's call) and the listener the transport reports to — one object, no chain.
 */
class GatedCall implements ServerInterceptingCallInterface, InterceptingServerListener, AdmittedCall, PeerCall {
  #listener: InterceptingServerListener | undefined;
  #started = 0;
  #span: Span | undefined;
  #traceContext: Context | undefined;
  #requestId: string | undefined;
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #defaultDeadline: number | undefined;
  #failure: unknown;
  #ended = false;
  metadata!: Metadata;
  principal: string | undefined;

  constructor(
    /** Named `call` because identity/peer.ts finds the TLS socket at `call.stream.session`. */
    readonly call: ServerInterceptingCallInterface,
    private readonly guarded: GuardedMethod,
    private readonly options: CallGateOptions,
  ) {}

  // --- what the transport reports -------------------------------------------------------------

  start(listener: InterceptingServerListener): void {
    this.#listener = listener;
    this.call.start(this);
  }

  onReceiveMetadata(metadata: Metadata): void {
    this.metadata = metadata;
    this.#started = performance.now();
    this.guarded.metrics.started();
    const parent = extractTraceContext(metadata);
    this.principal = this.options.principalOf(this);
    const { authorization } = this.options;
    const verdict = authorization?.check(this, this.guarded.method.path);
    // A denied call is always traced (denies are rare and must show); others as sampled.
    this.#span =
      verdict?.refusal === undefined ? this.guarded.spans.start(parent) : this.guarded.spans.startAlways(parent);
    this.#traceContext = this.#span === undefined ? parent : trace.setSpan(parent, this.#span);
    if (authorization !== undefined && verdict !== undefined) {
      // A deny is reported in the span's context, so that its log line carries the span's ids.
      if (verdict.refusal === undefined) authorization.report(verdict, this, this.#span);
      else otelContext.with(this.#traceContext, authorization.report, authorization, verdict, this, this.#span);
      if (verdict.refusal !== undefined) {
        this.#failure = verdict.refusal;
        // Never passed on: grpc-js's handler does not even start reading the body.
        this.sendStatus(verdict.refusal.toStatus());
        return;
      }
    }
    const { defaultDeadlineMs } = this.options;
    if (defaultDeadlineMs !== undefined && !Number.isFinite(this.deadlineMs())) {
      this.#defaultDeadline = Date.now() + defaultDeadlineMs;
      this.#timer = setTimeout(() => this.expire(), defaultDeadlineMs);
    }
    attachAdmitted(metadata, this);
    this.#listener?.onReceiveMetadata(metadata);
  }

  onReceiveMessage(message: unknown): void {
    this.#listener?.onReceiveMessage(message);
  }

  onReceiveHalfClose(): void {
    this.#listener?.onReceiveHalfClose();
  }

  /** Also after every normal end (grpc-js reports each finished call as cancelled). */
  onCancel(): void {
    if (!this.#ended) {
      const reason = this.options.shutdownSignal.aborted
        ? new RpcError(Code.UNAVAILABLE, "server shutting down")
        : Date.now() >= this.deadlineMs()
          ? new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded")
          : new RpcError(Code.CANCELLED, "call cancelled by the caller");
      this.#controller?.abort(reason);
      this.#failure = reason;
      this.finish(reason.code);
    }
    this.#listener?.onCancel();
  }

  // --- what the handler does ------------------------------------------------------------------

  sendMetadata(metadata: Metadata): void {
    this.call.sendMetadata(metadata);
  }

  sendMessage(message: unknown, callback: () => void): void {
    this.call.sendMessage(message, callback);
  }

  sendStatus(status: PartialStatusObject): void {
    // After the gate answered (default deadline) the handler's late answer goes nowhere.
    if (this.#ended) return;
    this.finish(status.code);
    this.call.sendStatus(status);
  }

  startRead(): void {
    this.call.startRead();
  }

  getPeer(): string {
    return this.call.getPeer();
  }

  getDeadline() {
    return this.call.getDeadline();
  }

  getHost(): string {
    return this.call.getHost();
  }

  getAuthContext() {
    return this.call.getAuthContext();
  }

  getConnectionInfo() {
    return this.call.getConnectionInfo();
  }

  getMetricsRecorder() {
    return this.call.getMetricsRecorder();
  }

  // --- what the handler is told (AdmittedCall) ------------------------------------------------

  get requestId(): string {
    this.#requestId ??= requestIdOf(this.metadata);
    return this.#requestId;
  }

  get deadline(): Date | undefined {
    const ms = this.deadlineMs();
    return Number.isFinite(ms) ? new Date(ms) : undefined;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      // Asked for after the call ended: it is over for the handler too.
      if (this.#ended && this.#failure instanceof RpcError) this.#controller.abort(this.#failure);
    }
    return this.#controller.signal;
  }

  run<A extends unknown[], R>(work: (...args: A) => R, ...args: A): R {
    return otelContext.with(this.#traceContext ?? otelContext.active(), work, undefined, ...args);
  }

  failed(error: unknown): void {
    this.#failure = error;
  }

  // --- the end of the call ----------------------------------------------------------------------

  /** The caller's deadline, else the server's default one; Infinity without either. */
  private deadlineMs(): number {
    const deadline = this.call.getDeadline();
    const ms = deadline instanceof Date ? deadline.getTime() : deadline;
    return Number.isFinite(ms) ? ms : (this.#defaultDeadline ?? Infinity);
  }

  /** The server's own default deadline passed: the caller is told now, the handler's signal aborts. */
  private expire(): void {
    const error = new RpcError(Code.DEADLINE_EXCEEDED, "deadline exceeded");
    this.#controller?.abort(error);
    this.#failure = error;
    this.sendStatus(error.toStatus());
  }

  private finish(code: Code): void {
    this.#ended = true;
    clearTimeout(this.#timer);
    const seconds = (performance.now() - this.#started) / 1000;
    const failure = code === Code.OK ? undefined : this.#failure;
    if (this.#span !== undefined) this.guarded.spans.end(this.#span, code, failure);
    this.guarded.metrics.observe(code, seconds);
    this.log(code, failure, seconds);
  }

  private log(code: Code, failure: unknown, seconds: number): void {
    // The status table decides, as for spans: a server failure (an error span) is a warning; a
    // refused request is routine and never above info, however many an attacker sends.
    const level = code === Code.OK ? "debug" : isServerFailure(code) ? "warn" : "info";
    // Successful calls log at debug: skip building the line on the hot path when that is off.
    const { logger } = this.options;
    if (!logger.isLevelEnabled(level)) return;
    const spanContext = trace.getSpanContext(this.#traceContext ?? otelContext.active());
    const line = {
      request_id: this.requestId,
      trace_id: spanContext?.traceId,
      span_id: spanContext?.spanId,
      rpc: this.guarded.method.path,
      code: Code[code],
      duration_ms: Math.round(seconds * 1000 * 100) / 100,
      peer: this.principal ?? this.call.getPeer(),
      reason: failure instanceof RpcError ? failure.reason : undefined,
    };
    logger[level](line, code === Code.OK ? "rpc" : level === "warn" ? "rpc failed" : "rpc refused");
  }
}
