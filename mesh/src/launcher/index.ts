// The local launcher's building blocks: processes with interleaved, prefixed, pretty logs, NATS
// provisioning, ports and health waits. What to launch is the application's business.
export { checkHealth } from "./health.ts";
export type { NatsOutcome, NatsPlan } from "./nats.ts";
export { natsInstallHint, provideNats } from "./nats.ts";
export { freePort, isListening, waitFor } from "./network.ts";
export { prettyLines } from "./pretty-lines.ts";
export type { LineSink, ProcessSpec, Supervised } from "./processes.ts";
export { startProcess, stopProcesses } from "./processes.ts";
