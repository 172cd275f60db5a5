// @weft/mesh/launcher: the gRPC health probe client that supervisors use — the gateway's
// readiness check and `weft dev`'s wait for SERVING. The launcher itself lives in @weft/cli.
export { checkHealth } from "./health.ts";
