import { BlockList, isIP } from "node:net";

/**
 * Who counts as the Istio sidecar in `istio` mode: the peer of the connection, as the server
 * sees it. Envoy forwards inbound traffic to the application from the pod's own loopback
 * (127.0.0.6 since Istio 1.10, 127.0.0.1 before), so loopback always counts; anything else —
 * another pod reaching the port directly, a pod without injection, ambient mode's ztunnel, which
 * keeps the caller's address — does not, unless listed in MESH_SIDECAR_ADDRESSES.
 */
export function sidecarAddressCheck(extra: readonly string[] = []): (peer: string) => boolean {
  const trusted = new BlockList();
  trusted.addSubnet("127.0.0.0", 8, "ipv4");
  trusted.addAddress("::1", "ipv6");
  for (const address of extra) trusted.addAddress(unmapped(address), isIP(unmapped(address)) === 6 ? "ipv6" : "ipv4");
  return (peer) => {
    const address = unmapped(addressOfPeer(peer));
    const family = isIP(address);
    return family !== 0 && trusted.check(address, family === 6 ? "ipv6" : "ipv4");
  };
}

/**
 * The address part of grpc-js's `call.getPeer()`: `127.0.0.6:41234`, `::1:41234` (IPv6 is not
 * bracketed), or `unknown`.
 */
export function addressOfPeer(peer: string): string {
  const colon = peer.lastIndexOf(":");
  return colon < 0 ? peer : peer.slice(0, colon);
}

/** `::ffff:127.0.0.6` is the IPv4 peer of a dual-stack socket: judge it as IPv4. */
function unmapped(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

/** Whether a listen address keeps the port inside the host (or the pod): only loopback does. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  if (bare === "localhost") return true;
  return isIP(bare) !== 0 && sidecarAddressCheck()(`${bare}:0`);
}
