import { type CallWithAuthContext, type CallWithMetadata, principalFromCall, principalFromCallXfcc } from "./peer.ts";

/**
 * How a workload secures its connections and learns who its peer is (`MESH_MTLS`):
 * - `mesh`: off Kubernetes. This package's local CA issues the workload certificate; servers
 *   require and verify client certificates; the peer is the URI SAN of the verified certificate.
 * - `istio`: in Kubernetes with a sidecar (or ztunnel). The application speaks plaintext inside
 *   the pod, the sidecar does mTLS (PeerAuthentication STRICT), and the peer comes from the
 *   `x-forwarded-client-cert` header the sidecar appends.
 * - `off`: plaintext and no peer identity at all; only for tests that ask for it explicitly.
 */
export type MtlsMode = "mesh" | "istio" | "off";

export const mtlsModes: readonly MtlsMode[] = ["mesh", "istio", "off"];

export function isMtlsMode(value: string): value is MtlsMode {
  return (mtlsModes as readonly string[]).includes(value);
}

/** What a server call must offer for every mode's way of finding the peer. */
export type PeerCall = CallWithAuthContext & CallWithMetadata;

/** The `principalOf` a server should use in a mode (for `implement(..., { principalOf })`). */
export function principalResolver(mode: MtlsMode): (call: PeerCall) => string | undefined {
  switch (mode) {
    case "mesh":
      return principalFromCall;
    case "istio":
      return principalFromCallXfcc;
    case "off":
      return () => undefined;
  }
}
