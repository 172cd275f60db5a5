// A load-driver process: builds one client for the target it is given, then runs bounded closed
// or open loops against it on request. The orchestrator starts one or several of these per target.
import { serveRequests } from "./harness/child.ts";
import { type Call, closedLoop, openLoop } from "./harness/load.ts";
import { type MeshDirs, type Pems, startNoopSdkTracing } from "./harness/runtime.ts";
import { bareEchoCall, weftEchoCall } from "./p1/clients.ts";
import { connectNodeDirectCall, connectViaGatewayCall, grpcDirectCall, restCall } from "./p2/clients.ts";

export type Target =
  | ({ kind: "weft-echo"; address: string } & MeshDirs)
  | { kind: "bare-echo"; address: string; pems: Pems }
  | { kind: "rest"; baseUrl: string; maxSockets: number }
  | { kind: "connect-gateway"; baseUrl: string }
  | ({ kind: "grpc-direct"; address: string } & MeshDirs)
  | { kind: "connect-node-direct"; baseUrl: string; pems: Pems };

export type DriverRequest =
  | { kind: "init"; target: Target; sdkTracing: boolean }
  | { kind: "closed"; concurrency: number; maxRequests: number; maxMs: number }
  | { kind: "open"; ratePerSecond: number; durationMs: number; maxInFlight: number };

let call: Call | undefined;

async function build(target: Target): Promise<Call> {
  switch (target.kind) {
    case "weft-echo":
      return weftEchoCall(target.address, target);
    case "bare-echo":
      return bareEchoCall(target.address, target.pems, 10_000);
    case "rest":
      return restCall(target.baseUrl, target.maxSockets);
    case "connect-gateway":
      return connectViaGatewayCall(target.baseUrl);
    case "grpc-direct":
      return grpcDirectCall(target.address, target);
    case "connect-node-direct":
      return connectNodeDirectCall(target.baseUrl, target.pems);
  }
}

serveRequests(async (request) => {
  const r = request as DriverRequest;
  if (r.kind === "init") {
    if (r.sdkTracing) startNoopSdkTracing();
    call = await build(r.target);
    await call(); // connect and fail fast on a misconfigured target
    return null;
  }
  if (!call) throw new Error("driver not initialised");
  return r.kind === "closed" ? closedLoop(call, r) : openLoop(call, r);
});
