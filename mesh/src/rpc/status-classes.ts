import { Code } from "./errors.ts";

/**
 * Whose fault a finished call's status code says it was. Breakers, retries, spans and logs all
 * decide from this one table, so an input that the caller got wrong can never count as the
 * upstream failing (which would let anyone open a shared breaker with bad requests).
 *
 * - `ok`: the call succeeded.
 * - `caller`: the server looked at the request and refused it (bad input, no permission, a
 *   precondition, a conflict, the caller's own cancellation or quota). The server is healthy.
 * - `server`: the server failed at a request it should have handled: a bug or a broken
 *   deployment (INTERNAL, UNKNOWN, DATA_LOSS, UNIMPLEMENTED). Worth a warning, but it says
 *   nothing about whether the next, different request will fail too.
 * - `unhealthy`: the upstream cannot answer right now (UNAVAILABLE: down, overloaded, shutting
 *   down, connection refused; DEADLINE_EXCEEDED: too slow). Only these open circuit breakers.
 */
export type StatusClass = "ok" | "caller" | "server" | "unhealthy";

interface CodeTraits {
  readonly class: StatusClass;
  /** The same request may succeed if sent again at once: what the transport retries. */
  readonly retryable: boolean;
}

const traits: Readonly<Record<Code, CodeTraits>> = {
  [Code.OK]: { class: "ok", retryable: false },
  [Code.CANCELLED]: { class: "caller", retryable: false },
  [Code.UNKNOWN]: { class: "server", retryable: false },
  [Code.INVALID_ARGUMENT]: { class: "caller", retryable: false },
  // Retrying would only spend a budget already spent; the caller decides with a new deadline.
  [Code.DEADLINE_EXCEEDED]: { class: "unhealthy", retryable: false },
  [Code.NOT_FOUND]: { class: "caller", retryable: false },
  [Code.ALREADY_EXISTS]: { class: "caller", retryable: false },
  [Code.PERMISSION_DENIED]: { class: "caller", retryable: false },
  // A quota or rate limit the caller ran into, or a message over the size limit.
  [Code.RESOURCE_EXHAUSTED]: { class: "caller", retryable: false },
  [Code.FAILED_PRECONDITION]: { class: "caller", retryable: false },
  // A conflict with concurrent work: retried by the caller at a higher level, not by the transport.
  [Code.ABORTED]: { class: "caller", retryable: false },
  [Code.OUT_OF_RANGE]: { class: "caller", retryable: false },
  [Code.UNIMPLEMENTED]: { class: "server", retryable: false },
  [Code.INTERNAL]: { class: "server", retryable: false },
  [Code.UNAVAILABLE]: { class: "unhealthy", retryable: true },
  [Code.DATA_LOSS]: { class: "server", retryable: false },
  [Code.UNAUTHENTICATED]: { class: "caller", retryable: false },
};

/** The class of a status code; codes outside the spec are the server's fault. */
export function statusClassOf(code: Code): StatusClass {
  return traits[code]?.class ?? "server";
}

/** The server did not do its job: a server fault or an unhealthy upstream. */
export function isServerFailure(code: Code): boolean {
  const kind = statusClassOf(code);
  return kind === "server" || kind === "unhealthy";
}

/** The codes the transport retries (for calls safe to repeat), as gRPC service config names them. */
export const retryableCodeNames: readonly string[] = Object.entries(traits)
  .filter(([, t]) => t.retryable)
  .map(([code]) => Code[Number(code)] as string);
