// @weft/mesh: the platform runtime. Generated code imports the rpc pieces; services build on
// createMesh; nothing here knows about the shop.
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
export type { CallContext, CallOptions, MethodInfo, ServiceBinding } from "./rpc/binding.ts";
export { methodsOf } from "./rpc/binding.ts";
export { currentCall } from "./rpc/call-store.ts";
export type { CallHooks, ClientTransport, CreateTransportOptions, OutgoingCall } from "./rpc/client.ts";
export { createClient, createTransport, defaultTimeoutMs } from "./rpc/client.ts";
export type { FieldViolation, RpcErrorOptions } from "./rpc/errors.ts";
export { Code, errorWithReason, invalidArgument, isUnknownDetail, RpcError, statusDetailsKey } from "./rpc/errors.ts";
export type { ImplementOptions, ServerCall, ServerInterceptor } from "./rpc/implement.ts";
export { codeOf, implement } from "./rpc/implement.ts";
export type { MeshServer, ServiceImplementation } from "./server/serve.ts";
export { provide } from "./server/serve.ts";
