export type { CallContext, CallOptions, MethodInfo, ServiceBinding } from "./rpc/binding.ts";
export { methodsOf } from "./rpc/binding.ts";
export type { ClientTransport, CreateTransportOptions, OutgoingCall } from "./rpc/client.ts";
export { createClient, createTransport, defaultTimeoutMs } from "./rpc/client.ts";
export type { FieldViolation, RpcErrorOptions } from "./rpc/errors.ts";
export { Code, errorWithReason, invalidArgument, isUnknownDetail, RpcError, statusDetailsKey } from "./rpc/errors.ts";
export type { ImplementOptions } from "./rpc/implement.ts";
export { implement } from "./rpc/implement.ts";
