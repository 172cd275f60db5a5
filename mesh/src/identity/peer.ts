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
  const uri = uriOfSubjectAltNames(call.getAuthContext().sslPeerCertificate?.subjectaltname);
  return uri === undefined ? undefined : principalFromSpiffeId(uri);
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
