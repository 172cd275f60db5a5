// @weft/console: the local development console `weft dev` embeds. Never part of an image.
export type { ConsoleApp, ConsoleCall, ConsoleService, Grant } from "./app.ts";
export type { AuthzDecision } from "./authz/decision.ts";
export type { ConsoleOptions, ConsoleTargets, IdentityOptions, WeftConsole } from "./console.ts";
export { consolePortFromEnv, startConsole } from "./console.ts";
export type { NatsCredentials } from "./events/jetstream.ts";
export type { LogRecord } from "./logs/parse.ts";
export type { SpanRecord } from "./otlp/model.ts";
export type { HealthState } from "./topology/graph.ts";
