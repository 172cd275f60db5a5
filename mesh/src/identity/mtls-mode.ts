import { type CallWithAuthContext, type CallWithMetadata, principalFromCall, principalFromCallXfcc } from "./peer.ts";
import { sidecarAddressCheck } from "./sidecar.ts";

/**
 * How a workload secures its connections and learns who its peer is (`MESH_MTLS`):
 * - `mesh`: off Kubernetes. The launcher's CA certifies the workload's key; servers require and
 *   verify client certificates; the peer is the URI SAN of the verified certificate.
 * - `istio`: in Kubernetes with a sidecar. The application speaks plaintext inside the pod, the
 *   sidecar does mTLS (PeerAuthentication STRICT), and the peer comes from the
 *   `x-forwarded-client-cert` header the sidecar appends — believed only on connections that come
 *   from the sidecar's address.
 * - `off`: plaintext and no peer identity at all; only for tests that ask for it explicitly.
 */
export type MtlsMode = "mesh" | "istio" | "off";

export const mtlsModes: readonly MtlsMode[] = ["mesh", "istio", "off"];

export function isMtlsMode(value: string): value is MtlsMode {
  return (mtlsModes as readonly string[]).includes(value);
}

/** The part of a grpc-js server call (any kind) that tells the connection's remote address. */
export interface CallWithPeerAddress {
  getPeer(): string;
}

/** What a server call must offer for every mode's way of finding the peer. */
export type PeerCall = CallWithAuthContext & CallWithMetadata & CallWithPeerAddress;

export interface PrincipalResolverOptions {
  /** istio mode: addresses besides loopback that are the sidecar (MESH_SIDECAR_ADDRESSES). */
  readonly sidecarAddresses?: readonly string[];
}

/** The `principalOf` a server should use in a mode (for `implement(..., { principalOf })`). */
export function principalResolver(
  mode: MtlsMode,
  options: PrincipalResolverOptions = {},
): (call: PeerCall) => string | undefined {
  switch (mode) {
    case "mesh":
      return principalFromCall;
    case "istio": {
      // From anyone but the sidecar the header is just something the caller wrote.
      const fromSidecar = sidecarAddressCheck(options.sidecarAddresses);
      return (call) => (fromSidecar(call.getPeer()) ? principalFromCallXfcc(call) : undefined);
    }
    case "off":
      return () => undefined;
  }
}
