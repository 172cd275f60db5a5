// @weft/mesh/rpc: the small call runtime generated code imports — bindings, typed clients,
// async handlers, errors — without the rest of the mesh.
export type { CallContext, CallOptions, EndUser, MethodInfo, ServiceBinding } from "./binding.ts";
export { methodsOf } from "./binding.ts";
export { currentCall } from "./call-store.ts";
export type { CallHooks, ClientTransport, CreateTransportOptions, OutgoingCall } from "./client.ts";
export { createClient, createTransport, defaultTimeoutMs } from "./client.ts";
export { bufferOf } from "./codec.ts";
export type { DynamicClient } from "./dynamic.ts";
export { dynamicBinding } from "./dynamic.ts";
export type { FieldViolation, RpcErrorOptions } from "./errors.ts";
export { Code, errorWithReason, invalidArgument, isUnknownDetail, RpcError, statusDetailsKey } from "./errors.ts";
export type { ImplementOptions, ServerCall, ServerInterceptor } from "./implement.ts";
export { codeOf, implement, requireUser } from "./implement.ts";
export type { CursorWire, PageTokenCodec, PageTokenFormat } from "./page-token.ts";
export { cursorValue, PageTokens } from "./page-token.ts";
export type { StatusClass } from "./status-classes.ts";
export { isServerFailure, retryableCodeNames, statusClassOf } from "./status-classes.ts";
export { refuseBadText, textProblem, textViolations } from "./text-fields.ts";
export type { NumberRules, TextRules } from "./validate.ts";
export { Violations, validate } from "./validate.ts";
