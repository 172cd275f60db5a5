// P2 clients, each the way an outside caller would speak: REST/JSON over HTTP/1.1 keep-alive,
// Connect over HTTP/2 (h2c) to the gateway, gRPC over mTLS straight to the service with the mesh
// client (what the gateway itself does upstream), and connect-node's gRPC transport over mTLS to a
// connect-node server.
import { Agent, request } from "node:http";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { CatalogService } from "@weft/gen/shop/catalog/v1/catalog_pb.js";
import { CatalogServiceBinding } from "@weft/gen/shop/catalog/v1/catalog_weft.js";
import { createMesh } from "@weft/mesh";
import type { Call } from "../harness/load.ts";
import { benchMeshConfig, devNullLogger, type MeshDirs, type Pems } from "../harness/runtime.ts";

export const productId = "p-1";

export function restCall(baseUrl: string, maxSockets: number): Call {
  const url = new URL(`/v1/products/${productId}`, baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets });
  return () =>
    new Promise((resolve, reject) => {
      const req = request(url, { agent, method: "GET", headers: { accept: "application/json" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks)}`));
          else resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown);
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
}

export function connectViaGatewayCall(baseUrl: string): Call {
  const client = createClient(CatalogService, createConnectTransport({ baseUrl, httpVersion: "2" }));
  return () => client.getProduct({ id: productId });
}

export async function grpcDirectCall(address: string, dirs: MeshDirs): Promise<Call> {
  // Calls as workload "gateway": the repository's istio/ policy lets exactly it call GetProduct.
  const mesh = await createMesh({ name: "gateway", config: benchMeshConfig(dirs), logger: devNullLogger("driver") });
  const client = mesh.connect(CatalogServiceBinding, { target: address });
  return () => client.getProduct({ id: productId });
}

export function connectNodeDirectCall(baseUrl: string, pems: Pems): Call {
  const transport = createGrpcTransport({
    baseUrl,
    nodeOptions: { ca: pems.caPem, cert: pems.certPem, key: pems.keyPem },
  });
  const client = createClient(CatalogService, transport);
  return () => client.getProduct({ id: productId });
}
