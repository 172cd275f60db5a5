import { TLSSocket } from "node:tls";
import { principalFromSpiffeId } from "./spiffe.ts";
import { uriOfSubjectAltNames } from "./subject-alt-names.ts";
import { spiffeIdFromXfcc } from "./xfcc.ts";

/** The part of a grpc-js server call (any kind) that carries the TLS peer's certificate. */
export interface CallWithAuthContext {
  getAuthContext(): { sslPeerCertificate?: { subjectaltname?: string } };
}

/** The part of a grpc-js server call (any kind) that carries request headers. */
export interface CallWithMetadata {
  readonly metadata: { get(key: string): ReadonlyArray<string | Buffer> };
}

/**
 * The principal of the peer that completed mTLS with this server (`mesh` mode), from the URI
 * SAN of its certificate. grpc-js only exposes a certificate the handshake verified against
 * the CA given to `serverCredentials`, so this is an authenticated identity.
 */
export function principalFromCall(call: CallWithAuthContext): string | undefined {
  const socket = tlsSocketOf(call);
  if (socket !== undefined && principalBySocket.has(socket)) return principalBySocket.get(socket);
  const uri = uriOfSubjectAltNames(call.getAuthContext().sslPeerCertificate?.subjectaltname);
  const principal = uri === undefined ? undefined : principalFromSpiffeId(uri);
  if (socket !== undefined) principalBySocket.set(socket, principal);
  return principal;
}

/**
 * The peer of a TLS connection cannot change while it lasts (TLS 1.3 has no renegotiation), but
 * grpc-js parses the peer certificate again for every call — a fifth of a busy server's CPU. So
 * the principal is remembered per connection, and forgotten with it.
 */
const principalBySocket = new WeakMap<TLSSocket, string | undefined>();

/**
 * The connection's TLS socket, reached through grpc-js internals (call → intercepting call →
 * HTTP/2 stream → session). When a grpc-js release moves them, this finds nothing and the
 * principal is simply read per call again.
 */
function tlsSocketOf(call: CallWithAuthContext): TLSSocket | undefined {
  const internals = call as unknown as { call?: { stream?: { session?: { socket?: unknown } } } };
  const socket = internals.call?.stream?.session?.socket;
  return socket instanceof TLSSocket && socket.authorized ? socket : undefined;
}

/**
 * The principal of the peer in `istio` mode, from the `x-forwarded-client-cert` header the
 * sidecar adds. Trust it only behind a sidecar with PeerAuthentication STRICT: in plaintext
 * (PERMISSIVE) traffic the sidecar forwards the header untouched, so the caller could write it.
 */
export function principalFromXfcc(header: string | undefined): string | undefined {
  const uri = spiffeIdFromXfcc(header);
  return uri === undefined ? undefined : principalFromSpiffeId(uri);
}

export const xfccHeader = "x-forwarded-client-cert";

/** `principalFromXfcc` over a call's metadata; repeated header lines form one list, in order. */
export function principalFromCallXfcc(call: CallWithMetadata): string | undefined {
  const values = call.metadata.get(xfccHeader).filter((value): value is string => typeof value === "string");
  return values.length === 0 ? undefined : principalFromXfcc(values.join(","));
}
