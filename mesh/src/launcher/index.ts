// @weft/mesh/launcher: what a launcher (weft dev, a test harness) needs of the mesh — the gRPC
// health probe supervisors use (the gateway's readiness check, weft dev's wait for SERVING) and
// the signer that holds the local CA for the workloads. The launcher itself lives in @weft/cli.
export type { CertificateSigner, CertificateSignerOptions, SignerEnrollment } from "../identity/index.ts";
export { loadOrCreateCa, localCaIssuer, startCertificateSigner } from "../identity/index.ts";
export { checkHealth } from "./health.ts";
