// The local platform `weft dev` runs, for the CLI and for tests that start a whole app.
export type { BuildOutcome, Workload } from "./build.ts";
export { bundleNodeArgs, WorkloadBuilder, workloadsOf } from "./build.ts";
export { type DevConsole, startDevConsole } from "./console.ts";
export { databaseName, dropServiceDatabases } from "./databases.ts";
export type { NatsOutcome, NatsPlan } from "./nats.ts";
export { natsInstallHint, provideNats } from "./nats.ts";
export { freePort, isListening, waitFor } from "./network.ts";
export type { Platform, PlatformOptions } from "./platform.ts";
export { startPlatform } from "./platform.ts";
export { prettyLines } from "./pretty-lines.ts";
export type { LineSink, ProcessSpec, Supervised } from "./processes.ts";
export { startProcess, stopProcesses } from "./processes.ts";
export { runSeed } from "./seed.ts";
export { watchPlatform } from "./watch.ts";
