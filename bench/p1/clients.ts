// P1 clients: a Weft mesh client (deadline, breaker, bulkhead, client span, metrics, mTLS with the
// SPIFFE check) and a bare grpc-js client with the same certificates and codecs.
import { Client, credentials, Metadata } from "@grpc/grpc-js";
import { EchoServiceBinding, EchoServiceDefinition } from "@weft/gen/weft/echo/v1/echo_weft.js";
import { createMesh } from "@weft/mesh";
import type { Call } from "../harness/load.ts";
import { benchMeshConfig, devNullLogger, type MeshDirs, type Pems } from "../harness/runtime.ts";
import { echoRequest } from "./echo.ts";

export async function weftEchoCall(address: string, dirs: MeshDirs): Promise<Call> {
  const mesh = await createMesh({
    name: "bench-client",
    config: benchMeshConfig(dirs),
    logger: devNullLogger("bench-client"),
  });
  const client = mesh.connect(EchoServiceBinding, { target: address });
  return () => client.echo(echoRequest);
}

export function bareEchoCall(address: string, pems: Pems, timeoutMs: number): Call {
  const client = new Client(
    address,
    credentials.createSsl(Buffer.from(pems.caPem), Buffer.from(pems.keyPem), Buffer.from(pems.certPem)),
  );
  const { path, requestSerialize, responseDeserialize } = EchoServiceDefinition.echo;
  return () =>
    new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        path,
        requestSerialize,
        responseDeserialize,
        echoRequest,
        new Metadata(),
        { deadline: Date.now() + timeoutMs },
        (error, response) => (error ? reject(error) : resolve(response)),
      );
    });
}
