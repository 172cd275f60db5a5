import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ChannelCredentials, credentials, Server, ServerCredentials } from "@grpc/grpc-js";
import {
  createEchoServiceClient,
  EchoServiceBinding,
  type EchoServiceHandlers,
} from "@weft/gen/weft/echo/v1/echo_weft.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CertificateAuthority,
  channelCredentials,
  loadOrCreateCa,
  type MtlsMode,
  principalResolver,
  serverCredentials,
  spiffeId,
  type WorkloadIdentity,
  xfccHeader,
} from "../../src/identity/index.ts";
import { Code, createTransport, implement, RpcError } from "../../src/index.ts";

/** Answers with the principal the server saw, so each test can assert who it authenticated. */
const handlers: EchoServiceHandlers = {
  async echo(_request, context) {
    return { text: context.principal ?? "<none>" };
  },
  async *count() {},
  async collect() {
    return { text: "", count: 0 };
  },
  async *chat() {},
};

const shop = (serviceAccount: string) => spiffeId({ namespace: "shop", serviceAccount });

let workDir: string;
let meshCa: CertificateAuthority;
let otherCa: CertificateAuthority;
let serverIdentity: WorkloadIdentity;
const servers: Server[] = [];

async function startServer(creds: ServerCredentials, mode: MtlsMode): Promise<string> {
  const server = new Server();
  server.addService(
    EchoServiceBinding.definition,
    implement(EchoServiceBinding, handlers, { principalOf: principalResolver(mode) }),
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", creds, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  servers.push(server);
  return `127.0.0.1:${port}`;
}

function echoClient(address: string, creds: ChannelCredentials) {
  return createEchoServiceClient(createTransport(address, creds, { defaultTimeoutMs: 5_000 }));
}

async function failureOf(promise: Promise<unknown>): Promise<RpcError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof RpcError)) throw new Error(`expected an RpcError, got ${String(outcome)}`);
  return outcome;
}

let meshAddress: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "weft-mtls-"));
  meshCa = await loadOrCreateCa(join(workDir, "mesh"));
  otherCa = await loadOrCreateCa(join(workDir, "other"));
  serverIdentity = await meshCa.issue({ spiffeId: shop("inventory") });
  meshAddress = await startServer(serverCredentials(serverIdentity), "mesh");
});

afterAll(async () => {
  for (const server of servers) server.forceShutdown();
  await rm(workDir, { recursive: true, force: true });
});

describe("mesh mTLS on loopback", () => {
  it("accepts a client with a certificate from the mesh CA and hands its principal to the handler", async () => {
    const orders = await meshCa.issue({ spiffeId: shop("orders") });
    const response = await echoClient(meshAddress, channelCredentials(orders)).echo({ text: "hi" });
    expect(response.text).toBe("cluster.local/ns/shop/sa/orders");
  });

  it("tells callers apart by their certificates", async () => {
    const payments = await meshCa.issue({ spiffeId: shop("payments") });
    const response = await echoClient(meshAddress, channelCredentials(payments)).echo({ text: "hi" });
    expect(response.text).toBe("cluster.local/ns/shop/sa/payments");
  });

  it("rejects a plaintext client", async () => {
    const error = await failureOf(echoClient(meshAddress, credentials.createInsecure()).echo({ text: "hi" }));
    expect(error.code).toBe(Code.UNAVAILABLE);
  });

  it("rejects a TLS client that presents no certificate", async () => {
    const noCertificate = credentials.createSsl(Buffer.from(serverIdentity.caPem), null, null, {
      checkServerIdentity: () => undefined,
    });
    const error = await failureOf(echoClient(meshAddress, noCertificate).echo({ text: "hi" }));
    expect(error.code).toBe(Code.UNAVAILABLE);
    expect(error.message).toContain("certificate required");
  });

  it("rejects a client whose certificate comes from another CA", async () => {
    const impostor = await otherCa.issue({ spiffeId: shop("orders") });
    // The impostor trusts the real server (it knows the mesh root); only its own certificate is foreign.
    const creds = channelCredentials({ ...impostor, caPem: meshCa.certPem });
    const error = await failureOf(echoClient(meshAddress, creds).echo({ text: "hi" }));
    expect(error.code).toBe(Code.UNAVAILABLE);
  });

  it("a client that does not trust the server's CA rejects the server", async () => {
    const orders = await meshCa.issue({ spiffeId: shop("orders") });
    // Its certificate is valid for the server; only its trust anchor is different.
    const creds = channelCredentials({ ...orders, caPem: otherCa.certPem });
    const error = await failureOf(echoClient(meshAddress, creds).echo({ text: "hi" }));
    expect(error.code).toBe(Code.UNAVAILABLE);
    expect(error.message).toContain("self-signed certificate in certificate chain");
  });

  it("accepts the server when it is one of allowedServerPrincipals", async () => {
    const orders = await meshCa.issue({ spiffeId: shop("orders") });
    const creds = channelCredentials(orders, { allowedServerPrincipals: ["cluster.local/ns/shop/sa/inventory"] });
    const response = await echoClient(meshAddress, creds).echo({ text: "hi" });
    expect(response.text).toBe("cluster.local/ns/shop/sa/orders");
  });

  it("rejects the server when it is not one of allowedServerPrincipals", async () => {
    const orders = await meshCa.issue({ spiffeId: shop("orders") });
    const creds = channelCredentials(orders, { allowedServerPrincipals: ["cluster.local/ns/shop/sa/payments"] });
    const error = await failureOf(echoClient(meshAddress, creds).echo({ text: "hi" }));
    expect(error.code).toBe(Code.UNAVAILABLE);
    expect(error.message).toContain("cluster.local/ns/shop/sa/inventory is not one of the expected principals");
  });

  it("rejects a server from another trust domain even when the CA is shared", async () => {
    const foreign = await meshCa.issue({
      spiffeId: spiffeId({ trustDomain: "example.org", namespace: "shop", serviceAccount: "inventory" }),
    });
    const address = await startServer(serverCredentials(foreign), "mesh");
    const orders = await meshCa.issue({ spiffeId: shop("orders") });
    const error = await failureOf(echoClient(address, channelCredentials(orders)).echo({ text: "hi" }));
    expect(error.code).toBe(Code.UNAVAILABLE);
    expect(error.message).toContain("outside trust domain cluster.local");
  });

  it("rejects a client whose certificate has expired", async () => {
    const expired = await meshCa.issue({ spiffeId: shop("orders"), ttlMs: -30_000 });
    expect(expired.notAfter.getTime()).toBeLessThan(Date.now());
    const error = await failureOf(echoClient(meshAddress, channelCredentials(expired)).echo({ text: "hi" }));
    expect(error.code).toBe(Code.UNAVAILABLE);
  });

  it("a client rejects a server whose certificate has expired", async () => {
    const expired = await meshCa.issue({ spiffeId: shop("inventory"), ttlMs: 0 });
    const address = await startServer(serverCredentials(expired), "mesh");
    const orders = await meshCa.issue({ spiffeId: shop("orders") });
    const error = await failureOf(echoClient(address, channelCredentials(orders)).echo({ text: "hi" }));
    expect(error.code).toBe(Code.UNAVAILABLE);
    expect(error.message).toContain("certificate has expired");
  });
});

describe("istio mode: plaintext in the pod, the peer from the sidecar's header", () => {
  it("reads the principal from x-forwarded-client-cert", async () => {
    const address = await startServer(ServerCredentials.createInsecure(), "istio");
    const client = echoClient(address, credentials.createInsecure());
    const header =
      'By=spiffe://cluster.local/ns/shop/sa/inventory;Hash=ab12;Subject="";URI=spiffe://cluster.local/ns/shop/sa/gateway';
    const response = await client.echo({ text: "hi" }, { metadata: { [xfccHeader]: header } });
    expect(response.text).toBe("cluster.local/ns/shop/sa/gateway");
    const anonymous = await client.echo({ text: "hi" });
    expect(anonymous.text).toBe("<none>");
  });
});
