import type { Metadata } from "@grpc/grpc-js";

/**
 * What a transport interceptor (the mesh's call gate, server/call-gate.ts) settled about a call
 * before grpc-js decoded its request — the peer, the request id, the trace context — and what the
 * handler hands back to it. grpc-js gives interceptors and handlers nothing in common but the
 * request metadata, so it travels on that object.
 */
export interface AdmittedCall {
  /** The verified identity of the peer, as the gate found it. */
  readonly principal: string | undefined;
  /** The caller's `x-request-id`, or one made up for this call. */
  readonly requestId: string;
  /** When the caller stops waiting (or the server's default deadline); undefined when neither is set. */
  readonly deadline: Date | undefined;
  /** Aborted when the call is cancelled, its deadline passes or the server shuts down (made on first use). */
  readonly signal: AbortSignal;
  /** Runs `work` inside the call's trace context. */
  run<A extends unknown[], R>(work: (...args: A) => R, ...args: A): R;
  /** The error the handler ended with, before it became a status: logs and spans record it. */
  failed(error: unknown): void;
}

const admittedKey = Symbol("weft.admitted");

type Carrier = Metadata & { [admittedKey]?: AdmittedCall };

export function attachAdmitted(metadata: Metadata, call: AdmittedCall): void {
  (metadata as Carrier)[admittedKey] = call;
}

/** The gate's view of a call, when a gate admitted it (undefined on a server without one). */
export function admittedOf(metadata: Metadata): AdmittedCall | undefined {
  return (metadata as Carrier)[admittedKey];
}
