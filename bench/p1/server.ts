// P1 server process: the echo service either through Weft (createMesh + serve: mTLS, policy,
// tracing, metrics, access logs) or on bare grpc-js (Server.addService with the same certificates,
// codecs and handler).
import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import type { EchoRequest } from "@weft/gen/weft/echo/v1/echo_pb.js";
import { EchoServiceBinding, EchoServiceDefinition } from "@weft/gen/weft/echo/v1/echo_weft.js";
import { createMesh, type Mesh, provide, RpcError } from "@weft/mesh";
import { serveRequests } from "../harness/child.ts";
import { benchMeshConfig, devNullLogger, type MeshDirs, type Pems, startNoopSdkTracing } from "../harness/runtime.ts";
import { echoHandler } from "./echo.ts";

export type P1ServerRequest = ({ kind: "start-weft" } & MeshDirs) | { kind: "start-bare"; pems: Pems };

let stop: () => Promise<void> = async () => {};

const unsupported = async (): Promise<never> => {
  throw new RpcError(12, "not benchmarked");
};

async function startWeft(dirs: MeshDirs): Promise<number> {
  const stopTracing = startNoopSdkTracing();
  const mesh: Mesh = await createMesh({
    name: "echo",
    config: benchMeshConfig(dirs),
    logger: devNullLogger("echo"),
  });
  const server = await mesh.serve([
    provide(EchoServiceBinding, {
      echo: echoHandler,
      count: async function* () {},
      collect: unsupported,
      chat: async function* () {},
    }),
  ]);
  stop = async () => {
    await mesh.close();
    await stopTracing();
  };
  return server.port;
}

async function startBare(pems: Pems): Promise<number> {
  const server = new Server();
  const credentials = ServerCredentials.createSsl(
    Buffer.from(pems.caPem),
    [{ cert_chain: Buffer.from(pems.certPem), private_key: Buffer.from(pems.keyPem) }],
    true,
  );
  const implementation: UntypedServiceImplementation = {
    echo(call: ServerUnaryCall<EchoRequest, unknown>, callback: sendUnaryData<unknown>) {
      echoHandler(call.request).then(
        (response) => callback(null, response),
        (error: Error) => callback(error),
      );
    },
  };
  server.addService({ echo: EchoServiceDefinition.echo }, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  stop = () => new Promise((resolve) => server.tryShutdown(() => resolve()));
  return port;
}

serveRequests(
  async (request) => {
    const r = request as P1ServerRequest;
    return r.kind === "start-weft" ? startWeft(r) : startBare(r.pems);
  },
  () => stop(),
);
