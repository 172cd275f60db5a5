// P2 server processes: a stand-in catalog served over the mesh as workload "catalog" (mTLS and the
// repository's istio/ policies, like gateway/test/edge/fakes.ts), the gateway in front of it, and
// connect-node serving the same handler directly (HTTP/2 over mTLS with the same CA).
import { createSecureServer, type Http2SecureServer } from "node:http2";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { GetProductRequest, GetProductResponseSchema } from "@weft/gen/shop/catalog/v1/catalog_pb.js";
import { CatalogService } from "@weft/gen/shop/catalog/v1/catalog_pb.js";
import { CatalogServiceBinding } from "@weft/gen/shop/catalog/v1/catalog_weft.js";
import { Code, createMesh, errorWithReason, type Mesh, provide, RpcError } from "@weft/mesh";
import { gatewaySettingsFromEnv } from "../../gateway/src/config.ts";
import { type Gateway, startGateway } from "../../gateway/src/server.ts";
import { serveRequests } from "../harness/child.ts";
import { benchMeshConfig, devNullLogger, type MeshDirs, type Pems, startNoopSdkTracing } from "../harness/runtime.ts";

export type P2ServerRequest =
  | ({ kind: "catalog" } & MeshDirs)
  | ({ kind: "gateway"; catalogAddr: string } & MeshDirs)
  | { kind: "connect-node"; pems: Pems };

/** The one GetProduct handler every P2 server runs. */
export async function getProduct(
  request: GetProductRequest,
): Promise<MessageInitShape<typeof GetProductResponseSchema>> {
  if (request.id !== "p-1") throw errorWithReason(Code.NOT_FOUND, "PRODUCT_NOT_FOUND", `no product ${request.id}`);
  return {
    product: {
      id: "p-1",
      name: "Weft Mug",
      description: "A mug for long builds.",
      price: { amountMinor: 1200n, currency: "USD" },
      active: true,
      available: 50n,
    },
  };
}

const notBenchmarked = async (): Promise<never> => {
  throw new RpcError(Code.UNIMPLEMENTED, "not benchmarked");
};

let stop: () => Promise<void> = async () => {};

async function startCatalog(dirs: MeshDirs): Promise<number> {
  const stopTracing = startNoopSdkTracing();
  const mesh = await createMesh({ name: "catalog", config: benchMeshConfig(dirs), logger: devNullLogger("catalog") });
  const server = await mesh.serve([
    provide(CatalogServiceBinding, {
      getProduct,
      createProduct: notBenchmarked,
      updateProduct: notBenchmarked,
      listProducts: notBenchmarked,
      batchGetProducts: notBenchmarked,
    }),
  ]);
  stop = async () => {
    await mesh.close();
    await stopTracing();
  };
  return server.port;
}

async function startEdge(dirs: MeshDirs, catalogAddr: string): Promise<number> {
  const stopTracing = startNoopSdkTracing();
  const mesh: Mesh = await createMesh({
    name: "gateway",
    config: benchMeshConfig(dirs),
    logger: devNullLogger("gateway"),
    env: {
      CATALOG_ADDR: catalogAddr,
      IDENTITY_ADDR: "127.0.0.1:1",
      INVENTORY_ADDR: "127.0.0.1:1",
      ORDERS_ADDR: "127.0.0.1:1",
      NOTIFICATIONS_ADDR: "127.0.0.1:1",
    },
  });
  const gateway: Gateway = await startGateway(mesh, {
    ...gatewaySettingsFromEnv({}),
    host: "127.0.0.1",
    port: 0,
    // The edge's per-IP and per-user limits would otherwise be what is measured.
    ipRatePerSecond: 1_000_000,
    ipBurst: 1_000_000,
    userRatePerSecond: 1_000_000,
    userBurst: 1_000_000,
    // Every driver connects from 127.0.0.1: at c=256 the REST drivers alone hold 256 keep-alive
    // sockets, and the per-client cap (256) would refuse the Connect drivers' and any reconnect.
    maxConnectionsPerClient: 10_000,
  });
  stop = async () => {
    await gateway.close(1_000);
    await mesh.close();
    await stopTracing();
  };
  return gateway.port;
}

async function startConnectNode(pems: Pems): Promise<number> {
  const routes = (router: ConnectRouter) =>
    router.service(CatalogService, {
      getProduct,
      createProduct: notBenchmarked,
      updateProduct: notBenchmarked,
      listProducts: notBenchmarked,
      batchGetProducts: notBenchmarked,
    });
  const server: Http2SecureServer = createSecureServer(
    { cert: pems.certPem, key: pems.keyPem, ca: pems.caPem, requestCert: true, rejectUnauthorized: true },
    connectNodeAdapter({ routes }),
  );
  const port = await new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    }),
  );
  stop = () => new Promise((resolve) => server.close(() => resolve()));
  return port;
}

serveRequests(
  async (request) => {
    const r = request as P2ServerRequest;
    if (r.kind === "catalog") return startCatalog(r);
    if (r.kind === "gateway") return startEdge(r, r.catalogAddr);
    return startConnectNode(r.pems);
  },
  () => stop(),
);
