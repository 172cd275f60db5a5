import { ConfigError } from "../config/env.ts";
import type { MtlsMode } from "./mtls-mode.ts";
import { isLoopbackHost } from "./sidecar.ts";

export interface TransportSettings {
  readonly mtls: MtlsMode;
  readonly allowInsecure: boolean;
  readonly host: string;
  readonly sidecarInjected: boolean;
}

/**
 * Refuses to start a workload whose transport could not keep the promises of its mode: `off`
 * without the test flag, and `istio` where nothing guarantees that only the sidecar reaches the
 * port (the sidecar's header is the identity, so whoever reaches the port could name themselves).
 */
export function assertTrustableTransport(settings: TransportSettings): void {
  if (settings.mtls === "off" && !settings.allowInsecure) {
    throw new ConfigError(
      "MESH_MTLS=off turns off mTLS, peer identity and policy; it is for tests only and needs MESH_ALLOW_INSECURE=1",
    );
  }
  if (settings.mtls === "istio" && !isLoopbackHost(settings.host) && !settings.sidecarInjected) {
    throw new ConfigError(
      `MESH_MTLS=istio believes x-forwarded-client-cert only behind a sidecar, but GRPC_HOST=${settings.host} is reachable from outside the pod: bind GRPC_HOST to 127.0.0.1 or ::1, or set MESH_SIDECAR_INJECTED=true where an injected sidecar captures all inbound traffic and PeerAuthentication is STRICT`,
    );
  }
}
