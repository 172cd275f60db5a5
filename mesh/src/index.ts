// @weft/mesh: the platform runtime; services build on startService (or createMesh). Subpaths:
// @weft/mesh/rpc (what generated code imports), @weft/mesh/app (the app's manifests),
// @weft/mesh/contracts (Weft's own proto options), @weft/mesh/data (databases),
// @weft/mesh/events (outbox, relay, consumers), @weft/mesh/testing. Nothing here knows any app:
// names, namespace, upstreams and token issuer all come from the app's manifests.
export type { AppVerifierOptions, EndUser, JwksCall, TokenVerifierOptions } from "./auth/index.ts";
export { appTokenVerifier, requireRole, TokenVerifier } from "./auth/index.ts";
export type { ConnectOptions, Upstream } from "./client/connect.ts";
export { connect, safeToRetry } from "./client/connect.ts";
export { propagatedHeaders } from "./client/propagation.ts";
export { isUpstreamFailure } from "./client/resilience.ts";
export type { ResolvedUpstream } from "./client/upstreams.ts";
export { resolveUpstream, upstreamTarget } from "./client/upstreams.ts";
export type { Env, Setting } from "./config/env.ts";
export { boolean, ConfigError, integer, oneOf, optionalText, readSettings, text } from "./config/env.ts";
export type { MeshConfig } from "./config/mesh-config.ts";
export { meshConfigFromEnv } from "./config/mesh-config.ts";
export type { EveryOptions } from "./lifecycle/index.ts";
export { Alarm, every, runMain, sleep, stopOnSignals, Wakeup } from "./lifecycle/index.ts";
export type { ConnectTarget, Mesh, MeshOptions, ServeCallsOptions } from "./mesh.ts";
export { createMesh } from "./mesh.ts";
export * from "./rpc/index.ts";
export type { MeshServer, ServiceImplementation } from "./server/serve.ts";
export { provide } from "./server/serve.ts";
export type {
  BackgroundTask,
  RunningService,
  ServiceContext,
  ServiceDefinition,
  ServiceParts,
  ServiceSettings,
  StartServiceOptions,
} from "./service.ts";
export { runService, serviceSettingsFromEnv, startService } from "./service.ts";
export type { AuthzOutcome, AuthzTelemetryOptions, Logger } from "./telemetry/index.ts";
export { authzAttributes, authzEventName, authzTelemetry, createLogger } from "./telemetry/index.ts";
