// @weft/mesh: the platform runtime; services build on createMesh. Subpaths: @weft/mesh/rpc (what
// generated code imports), @weft/mesh/data (databases), @weft/mesh/events (outbox, relay,
// consumers). Nothing here knows about the shop.
export type { EndUser, TokenVerifierOptions } from "./auth/index.ts";
export { requireRole, TokenVerifier } from "./auth/index.ts";
export type { ConnectOptions, Upstream } from "./client/connect.ts";
export { connect, safeToRetry } from "./client/connect.ts";
export { propagatedHeaders } from "./client/propagation.ts";
export { isUpstreamFailure } from "./client/resilience.ts";
export type { Env, Setting } from "./config/env.ts";
export { boolean, ConfigError, integer, oneOf, readSettings, runMain, text } from "./config/env.ts";
export type { MeshConfig } from "./config/mesh-config.ts";
export { meshConfigFromEnv } from "./config/mesh-config.ts";
export type { ConnectTarget, Mesh, MeshOptions } from "./mesh.ts";
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
export type { Logger } from "./telemetry/index.ts";
export { createLogger } from "./telemetry/index.ts";
