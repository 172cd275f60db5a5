// The launcher's certificate signer, attacked the way a compromised workload would: with its
// own token for another name, a spent token, someone else's certificate, a forged renewal proof.
import { sign, X509Certificate } from "node:crypto";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CertificateAuthority,
  type CertificateSigner,
  createCsr,
  loadOrCreateCa,
  signerIssuer,
  spiffeId,
  startCertificateSigner,
} from "../../src/identity/index.ts";
import { generateKeyPair, privateKeyToPem } from "../../src/identity/keys.ts";
import { PemConverter } from "../../src/identity/x509.ts";

const shop = (serviceAccount: string) => spiffeId({ namespace: "shop", serviceAccount });

let dir: string;
let ca: CertificateAuthority;
let signer: CertificateSigner;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "weft-signer-"));
  ca = await loadOrCreateCa(join(dir, "ca"));
  signer = await startCertificateSigner({
    ca,
    socketPath: join(dir, "run", "signer.sock"),
    trustDomain: "cluster.local",
    namespace: "shop",
  });
});

afterAll(async () => {
  await signer.close();
  await rm(dir, { recursive: true, force: true });
});

/** A fresh key and a CSR for `id`, as a workload makes them. */
async function csrFor(id: string) {
  const keys = await generateKeyPair();
  return { csrPem: await createCsr(id, keys), keyPem: await privateKeyToPem(keys.privateKey) };
}

/** POSTs a raw body to the signer, as an attacker would, without the client's manners. */
function post(body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { socketPath: signer.socketPath, path: "/v1/sign", method: "POST", headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    outgoing.on("error", reject);
    outgoing.end(text);
  });
}

function uriOf(certPem: string): string | undefined {
  return new X509Certificate(certPem).subjectAltName?.match(/URI:([^,]+)/)?.[1];
}

describe("the certificate signer", () => {
  it("listens on a socket only its owner can reach", async () => {
    expect((await stat(signer.socketPath)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "run"))).mode & 0o777).toBe(0o700);
  });

  it("certifies a workload's own key for its own name, with its one-time token", async () => {
    const { token } = signer.enroll("orders");
    const { csrPem } = await csrFor(shop("orders"));
    const signed = await signerIssuer({ socketPath: signer.socketPath, token }).sign({ csrPem });
    expect(uriOf(signed.certPem)).toBe(shop("orders"));
    expect(signed.caPem).toBe(ca.certPem);
    expect(ca.issued(signed.certPem)).toBe(true);
  });

  it("refuses a CSR for another workload's name made with this workload's token, and spends the token", async () => {
    const { token } = signer.enroll("notifications");
    const forged = await post({ csr: (await csrFor(shop("payments"))).csrPem }, { authorization: `Bearer ${token}` });
    expect(forged.status).toBe(403);
    expect(JSON.parse(forged.body).error).toBe(
      "this credential grants spiffe://cluster.local/ns/shop/sa/notifications, not spiffe://cluster.local/ns/shop/sa/payments",
    );
    // A token that was misused once does not work again, not even for its own name.
    const again = await post(
      { csr: (await csrFor(shop("notifications"))).csrPem },
      { authorization: `Bearer ${token}` },
    );
    expect(again.status).toBe(401);
  });

  it("spends a token on first use: a replayed token gets nothing", async () => {
    const { token } = signer.enroll("catalog");
    const first = await post({ csr: (await csrFor(shop("catalog"))).csrPem }, { authorization: `Bearer ${token}` });
    expect(first.status).toBe(200);
    const replay = await post({ csr: (await csrFor(shop("catalog"))).csrPem }, { authorization: `Bearer ${token}` });
    expect(replay.status).toBe(401);
    expect(JSON.parse(replay.body).error).toBe("unknown or already used bootstrap token");
  });

  it("withdraws a workload's unused token when it is enrolled again (a restart)", async () => {
    const stale = signer.enroll("inventory").token;
    const fresh = signer.enroll("inventory").token;
    const csr = async () => (await csrFor(shop("inventory"))).csrPem;
    expect((await post({ csr: await csr() }, { authorization: `Bearer ${stale}` })).status).toBe(401);
    expect((await post({ csr: await csr() }, { authorization: `Bearer ${fresh}` })).status).toBe(200);
  });

  it.each([
    ["no credential at all", {}, 401],
    ["an unknown token", { authorization: "Bearer not-a-token" }, 401],
  ])("refuses a request with %s", async (_name, headers, status) => {
    const response = await post({ csr: (await csrFor(shop("orders"))).csrPem }, headers);
    expect(response.status).toBe(status);
  });

  it.each([
    ["a body that is not JSON", "csr=x"],
    ["a CSR that is not PEM", { csr: "hello" }],
  ])("answers 400 to %s", async (_name, body) => {
    const { token } = signer.enroll("payments");
    expect((await post(body, { authorization: `Bearer ${token}` })).status).toBe(400);
  });

  it("refuses a CSR whose signature was not made by its key (no proof of possession)", async () => {
    const { token } = signer.enroll("payments");
    const { csrPem } = await csrFor(shop("payments"));
    const der = Buffer.from(PemConverter.decodeFirst(csrPem));
    der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 0xff; // inside the signature
    const tampered = PemConverter.encode(der, "CERTIFICATE REQUEST");
    const response = await post({ csr: tampered }, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(400);
  });
});

describe("renewal, once the token is spent", () => {
  async function bootstrap(name: string) {
    const { token } = signer.enroll(name);
    const { csrPem, keyPem } = await csrFor(shop(name));
    const signed = await signerIssuer({ socketPath: signer.socketPath, token }).sign({ csrPem });
    return { certPem: signed.certPem, keyPem };
  }

  function proof(csrPem: string, keyPem: string): string {
    const der = Buffer.from(PemConverter.decodeFirst(csrPem));
    return sign("sha256", Buffer.concat([Buffer.from("weft-signer-renewal-v1\n"), der]), keyPem).toString("base64");
  }

  it("renews with a signature by the current certificate's key", async () => {
    const current = await bootstrap("identity");
    const { csrPem } = await csrFor(shop("identity"));
    const renewed = await signerIssuer({ socketPath: signer.socketPath, token: "spent" }).sign({ csrPem, current });
    expect(uriOf(renewed.certPem)).toBe(shop("identity"));
    expect(new X509Certificate(renewed.certPem).serialNumber).not.toBe(
      new X509Certificate(current.certPem).serialNumber,
    );
  });

  it("refuses a renewal proof signed by another key than the certificate's (a stolen certificate alone)", async () => {
    const current = await bootstrap("gateway");
    const { csrPem, keyPem: otherKey } = await csrFor(shop("gateway"));
    const response = await post({
      csr: csrPem,
      renewal: { certificate: current.certPem, signature: proof(csrPem, otherKey) },
    });
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body).error).toBe("the renewal proof is not signed by the renewed certificate's key");
  });

  it("refuses to renew into another workload's name", async () => {
    const current = await bootstrap("orders");
    const { csrPem } = await csrFor(shop("payments"));
    const response = await post({
      csr: csrPem,
      renewal: { certificate: current.certPem, signature: proof(csrPem, current.keyPem) },
    });
    expect(response.status).toBe(403);
  });

  it("refuses a certificate from another CA, even for an enrolled name", async () => {
    const other = await loadOrCreateCa(join(dir, "other-ca"));
    const foreign = await other.issue({ spiffeId: shop("orders") });
    const { csrPem } = await csrFor(shop("orders"));
    const response = await post({
      csr: csrPem,
      renewal: { certificate: foreign.certPem, signature: proof(csrPem, foreign.keyPem) },
    });
    expect(response.status).toBe(401);
  });

  it("refuses an expired certificate: a workload that let its certificate lapse must restart", async () => {
    signer.enroll("notifications");
    const expired = await ca.issue({ spiffeId: shop("notifications"), ttlMs: -1_000 });
    const { csrPem } = await csrFor(shop("notifications"));
    const response = await post({
      csr: csrPem,
      renewal: { certificate: expired.certPem, signature: proof(csrPem, expired.keyPem) },
    });
    expect(response.status).toBe(401);
  });

  it("refuses a certificate of this CA for a name the launcher never enrolled", async () => {
    const stray = await ca.issue({ spiffeId: shop("stranger") });
    const { csrPem } = await csrFor(shop("stranger"));
    const response = await post({
      csr: csrPem,
      renewal: { certificate: stray.certPem, signature: proof(csrPem, stray.keyPem) },
    });
    expect(response.status).toBe(401);
  });
});
