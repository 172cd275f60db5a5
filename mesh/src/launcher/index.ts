// The local launcher's building blocks: processes with interleaved, prefixed, pretty logs, NATS
// provisioning, ports and health waits. What to launch is the application's business.

// The signer that holds the local CA for the workloads, and the CA it loads.
export type { CertificateSigner, CertificateSignerOptions, SignerEnrollment } from "../identity/index.ts";
export { loadOrCreateCa, startCertificateSigner } from "../identity/index.ts";
export { checkHealth } from "./health.ts";
export type { NatsOutcome, NatsPlan } from "./nats.ts";
export { natsInstallHint, provideNats } from "./nats.ts";
export type { NatsAuthorization, NatsWorkload } from "./nats-auth.ts";
export {
  natsAuthorizationConfig,
  natsPasswordVariable,
  natsUserVariable,
  writeNatsAuthorization,
} from "./nats-auth.ts";
export { freePort, isListening, waitFor } from "./network.ts";
export { prettyLines } from "./pretty-lines.ts";
export type { LineSink, ProcessSpec, Supervised } from "./processes.ts";
export { startProcess, stopProcesses } from "./processes.ts";
