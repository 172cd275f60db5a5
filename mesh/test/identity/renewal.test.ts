// Certificates renewed in-process before they expire, under load, without a failed call: 3-second
// certificates from the real signer, calls on a long-lived channel and on fresh connections (each a
// new handshake with whatever certificates are current) across several renewals.
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { makeGenericClientConstructor, type ServiceError } from "@grpc/grpc-js";
import { EchoServiceBinding } from "@weft/gen/weft/echo/v1/echo_weft.js";
import { service as healthService } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CertificateIssuer,
  type CertificateSigner,
  loadOrCreateCa,
  localCaIssuer,
  spiffeId,
  startCertificateSigner,
  WorkloadCertificates,
} from "../../src/identity/index.ts";
import { createLogger, createMesh, type Mesh, type MeshConfig, meshConfigFromEnv, provide } from "../../src/index.ts";
import { allowShopToCallFixtures, sleep } from "../support/workloads.ts";

const ttlMs = 3_000;

let dir: string;
let signer: CertificateSigner;
const meshes: Mesh[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "weft-renewal-"));
  signer = await startCertificateSigner({
    ca: await loadOrCreateCa(join(dir, "ca")),
    socketPath: join(dir, "run", "signer.sock"),
    trustDomain: "cluster.local",
    namespace: "shop",
    ttlMs,
  });
  await writeFile(join(dir, "policy.yaml"), allowShopToCallFixtures);
});

afterAll(async () => {
  await Promise.all(meshes.map((m) => m.close()));
  await signer.close();
  await rm(dir, { recursive: true, force: true });
});

/** A workload configured the way the launcher starts one: the signer's socket and a fresh token. */
async function workload(name: string): Promise<Mesh> {
  const config: MeshConfig = {
    ...meshConfigFromEnv(signer.enroll(name).env),
    policyDir: dir,
    host: "127.0.0.1",
    port: 0,
    logLevel: "silent",
    shutdownGraceMs: 1_000,
  };
  const mesh = await createMesh({ name, config });
  meshes.push(mesh);
  return mesh;
}

const serial = (pem: string) => new X509Certificate(pem).serialNumber;

/** A health check over a connection of its own (no shared subchannel): a new TLS handshake every time. */
function freshConnectionCheck(mesh: Mesh, address: string): Promise<string> {
  const Health = makeGenericClientConstructor(healthService, "Health");
  const client = new Health(address, mesh.clientCredentials(), { "grpc.use_local_subchannel_pool": 1 }) as unknown as {
    Check(
      request: { service: string },
      options: { deadline: number },
      callback: (error: ServiceError | null, reply?: { status: string }) => void,
    ): void;
    close(): void;
  };
  return new Promise((resolve, reject) =>
    client.Check({ service: "" }, { deadline: Date.now() + 2_000 }, (error, reply) => {
      client.close();
      if (error) reject(error);
      else resolve(reply?.status ?? "UNKNOWN");
    }),
  );
}

/** The serial number of the certificate the server presents to a new handshake now. */
function servedSerial(caller: Mesh, port: number): Promise<string> {
  const identity = caller.identity!;
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: "127.0.0.1",
      port,
      ca: identity.caPem,
      cert: identity.certPem,
      key: identity.keyPem,
      ALPNProtocols: ["h2"],
      checkServerIdentity: () => undefined,
    });
    socket.once("secureConnect", () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.destroy();
    });
    socket.once("error", reject);
  });
}

describe("certificate renewal", () => {
  it("renews both ends before expiry under continuous load, with zero failed calls", async () => {
    const server = await workload("inventory");
    const bound = await server.serve([
      provide(EchoServiceBinding, {
        echo: async (request) => ({ text: request.text }),
        count: async function* () {},
        collect: async () => ({}),
        chat: async function* () {},
      }),
    ]);
    const address = `127.0.0.1:${bound.port}`;
    const caller = await workload("orders");
    const client = caller.connect(EchoServiceBinding, { target: address, name: "inventory", timeoutMs: 2_000 });

    const firstServerCert = server.identity!;
    const expiresAt = firstServerCert.notAfter.getTime();
    const clientSerials = new Set([serial(caller.identity!.certPem)]);
    const serverSerials = new Set([serial(firstServerCert.certPem)]);
    const failures: unknown[] = [];
    let calls = 0;
    let handshakes = 0;
    // Run well past the first certificates' expiry: ≥ 2 renewals on each side (at ~2/3 of 3 s).
    const until = Date.now() + 7_500;

    const steady = async () => {
      while (Date.now() < until) {
        await client.echo({ text: "steady" }).then(
          () => calls++,
          (error: unknown) => failures.push(error),
        );
      }
    };
    const fresh = async () => {
      while (Date.now() < until) {
        await freshConnectionCheck(caller, address).then(
          (status) => (status === "SERVING" ? handshakes++ : failures.push(new Error(status))),
          (error: unknown) => failures.push(error),
        );
        await servedSerial(caller, bound.port).then(
          (served) => serverSerials.add(served),
          (error: unknown) => failures.push(error),
        );
        clientSerials.add(serial(caller.identity!.certPem));
        await sleep(150);
      }
    };
    await Promise.all([steady(), steady(), steady(), fresh()]);

    expect(failures).toEqual([]);
    expect(Date.now()).toBeGreaterThan(expiresAt); // the first certificates are dead by now…
    expect(serverSerials.size).toBeGreaterThanOrEqual(3); // …and new handshakes met ≥ 2 renewals
    expect(clientSerials.size).toBeGreaterThanOrEqual(3);
    expect(server.identity!.notAfter.getTime()).toBeGreaterThan(Date.now());
    expect(calls).toBeGreaterThan(100);
    expect(handshakes).toBeGreaterThan(10);
  }, 30_000);
});

describe("WorkloadCertificates", () => {
  it("retries a failed renewal before the certificate expires", async () => {
    const local = localCaIssuer(join(dir, "ca"), { ttlMs: 2_000 });
    let attempts = 0;
    const flaky: CertificateIssuer = {
      async sign(request) {
        attempts++;
        // The first renewal attempt fails (the signer restarting, say); the next one must come soon enough.
        if (attempts === 2) throw new Error("signer unavailable");
        return local.sign(request);
      },
    };
    const lines: string[] = [];
    const logger = createLogger({
      service: "orders",
      level: "warn",
      destination: { write: (line) => lines.push(line) },
    });
    const certificates = await WorkloadCertificates.obtain({
      spiffeId: spiffeId({ namespace: "shop", serviceAccount: "orders" }),
      issuer: flaky,
      logger,
    });
    const first = certificates.current;
    try {
      await sleep(2_100);
      expect(attempts).toBeGreaterThanOrEqual(3);
      expect(lines.map((line) => JSON.parse(line).msg)).toContain("certificate renewal failed");
      expect(certificates.current.certPem).not.toBe(first.certPem);
      expect(certificates.current.notAfter.getTime()).toBeGreaterThan(Date.now());
    } finally {
      certificates.close();
    }
  });

  it("refuses a certificate for another identity than the one it asked for", async () => {
    const local = localCaIssuer(join(dir, "ca"));
    const ca = await loadOrCreateCa(join(dir, "ca"));
    const swapping: CertificateIssuer = {
      async sign() {
        const other = await ca.issue({ spiffeId: spiffeId({ namespace: "shop", serviceAccount: "payments" }) });
        return { certPem: other.certPem, caPem: other.caPem };
      },
    };
    await expect(
      WorkloadCertificates.obtain({
        spiffeId: spiffeId({ namespace: "shop", serviceAccount: "orders" }),
        issuer: swapping,
      }),
    ).rejects.toThrow("the certificate issued to this workload is not for spiffe://cluster.local/ns/shop/sa/orders");
    // And one for its identity but someone else's key.
    const keyless: CertificateIssuer = {
      async sign(request) {
        const mine = await local.sign(request);
        const other = await ca.issue({ spiffeId: spiffeId({ namespace: "shop", serviceAccount: "orders" }) });
        return { certPem: other.certPem, caPem: mine.caPem };
      },
    };
    await expect(
      WorkloadCertificates.obtain({
        spiffeId: spiffeId({ namespace: "shop", serviceAccount: "orders" }),
        issuer: keyless,
      }),
    ).rejects.toThrow("certifies another key than the one this workload asked for");
  });
});
