import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { caCertFileName, caKeyFileName, loadOrCreateCa, spiffeId } from "../../src/identity/index.ts";

const run = promisify(execFile);
const racer = fileURLToPath(new URL("./fixtures/load-or-create-ca.ts", import.meta.url));

let workDir: string;
beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), "weft-ca-"));
});
afterEach(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe("loadOrCreateCa", () => {
  it("creates a P-256 root CA on first use, owner-only on disk", async () => {
    const dir = join(workDir, ".data", "mesh");
    const ca = await loadOrCreateCa(dir);
    expect(await readFile(join(dir, caCertFileName), "utf8")).toBe(ca.certPem);
    expect(await modeOf(dir)).toBe(0o700);
    expect(await modeOf(join(dir, caCertFileName))).toBe(0o600);
    expect(await modeOf(join(dir, caKeyFileName))).toBe(0o600);
    expect((await readFile(join(dir, caKeyFileName), "utf8")).startsWith("-----BEGIN PRIVATE KEY-----")).toBe(true);

    const root = new X509Certificate(ca.certPem);
    expect(root.ca).toBe(true);
    expect(root.subject).toContain("O=Weft local mesh");
    expect(root.checkIssued(root)).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(root.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    const lifetimeDays = (Date.parse(root.validTo) - Date.parse(root.validFrom)) / 86_400_000;
    expect(lifetimeDays).toBeGreaterThan(360);
    expect(lifetimeDays).toBeLessThan(370);
    // No staging directory is left behind.
    expect(await readdir(join(workDir, ".data"))).toEqual(["mesh"]);
  });

  it("loads the same CA on later calls", async () => {
    const first = await loadOrCreateCa(join(workDir, "mesh"));
    const second = await loadOrCreateCa(join(workDir, "mesh"));
    expect(second.certPem).toBe(first.certPem);
  });

  it("yields one CA when many callers in one process race on a fresh directory", async () => {
    const dir = join(workDir, "mesh");
    const cas = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateCa(dir)));
    expect(new Set(cas.map((ca) => ca.certPem)).size).toBe(1);
    expect(await readdir(workDir)).toEqual(["mesh"]);
  });

  it("yields one CA when several processes start at once on a fresh directory", async () => {
    const dir = join(workDir, "mesh");
    const outputs = await Promise.all(
      Array.from({ length: 5 }, () => run(process.execPath, [racer, dir], { encoding: "utf8" })),
    );
    const fingerprints = new Set(outputs.map((output) => output.stdout));
    expect(fingerprints.size).toBe(1);
    const onDisk = await loadOrCreateCa(dir);
    const { stdout } = await run(process.execPath, [racer, dir], { encoding: "utf8" });
    expect(fingerprints).toContain(stdout);
    expect(onDisk.certPem).toBe(await readFile(join(dir, caCertFileName), "utf8"));
  });

  it("takes an existing empty directory", async () => {
    const dir = join(workDir, "mesh");
    await mkdir(dir);
    await loadOrCreateCa(dir);
    expect(await modeOf(join(dir, caKeyFileName))).toBe(0o600);
  });

  it("refuses a directory that holds other files but no CA", async () => {
    const dir = join(workDir, "mesh");
    await mkdir(dir);
    await writeFile(join(dir, "notes.txt"), "x");
    await expect(loadOrCreateCa(dir)).rejects.toThrow(/no ca\.pem/);
  });

  it("refuses a key that does not belong to the certificate", async () => {
    const one = join(workDir, "one");
    const two = join(workDir, "two");
    await loadOrCreateCa(one);
    await loadOrCreateCa(two);
    await writeFile(join(one, caKeyFileName), await readFile(join(two, caKeyFileName)));
    await expect(loadOrCreateCa(one)).rejects.toThrow(/does not match/);
  });
});

describe("CertificateAuthority.issue", () => {
  it("issues a short-lived workload certificate identified by its SPIFFE id", async () => {
    const ca = await loadOrCreateCa(join(workDir, "mesh"));
    const before = Date.now();
    const identity = await ca.issue({
      spiffeId: spiffeId({ namespace: "shop", serviceAccount: "orders" }),
      dnsNames: ["orders.shop.svc"],
    });
    expect(identity.principal).toBe("cluster.local/ns/shop/sa/orders");
    expect(identity.caPem).toBe(ca.certPem);

    const leaf = new X509Certificate(identity.certPem);
    const root = new X509Certificate(ca.certPem);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(root)).toBe(true);
    expect(leaf.verify(root.publicKey)).toBe(true);
    expect(leaf.subjectAltName).toBe(
      "URI:spiffe://cluster.local/ns/shop/sa/orders, DNS:localhost, DNS:orders.shop.svc, IP Address:127.0.0.1",
    );
    expect(leaf.keyUsage).toEqual(expect.arrayContaining(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]));
    expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(identity.keyPem.startsWith("-----BEGIN PRIVATE KEY-----")).toBe(true);

    const notBefore = Date.parse(leaf.validFrom);
    const notAfter = Date.parse(leaf.validTo);
    expect(notBefore).toBeLessThanOrEqual(before - 59_000);
    expect(notAfter - before).toBeGreaterThan(24 * 3_600_000 - 5_000);
    expect(notAfter - before).toBeLessThanOrEqual(24 * 3_600_000 + 1_000);
    // X.509 keeps whole seconds.
    expect(Math.abs(identity.notAfter.getTime() - notAfter)).toBeLessThan(1_000);
  });

  it("gives every certificate its own key and serial number", async () => {
    const ca = await loadOrCreateCa(join(workDir, "mesh"));
    const request = { spiffeId: spiffeId({ namespace: "shop", serviceAccount: "orders" }) };
    const [a, b] = await Promise.all([ca.issue(request), ca.issue(request)]);
    expect(a?.keyPem).not.toBe(b?.keyPem);
    expect(new X509Certificate(a?.certPem ?? "").serialNumber).not.toBe(
      new X509Certificate(b?.certPem ?? "").serialNumber,
    );
  });

  it("refuses ids that are not SPIFFE ids of Istio's shape, and impossible lifetimes", async () => {
    const ca = await loadOrCreateCa(join(workDir, "mesh"));
    await expect(ca.issue({ spiffeId: "spiffe://cluster.local/orders" })).rejects.toThrow(RangeError);
    await expect(
      ca.issue({ spiffeId: "spiffe://cluster.local/ns/shop/sa/orders", ttlMs: -10 * 60_000 }),
    ).rejects.toThrow(RangeError);
    await expect(ca.issue({ spiffeId: "spiffe://cluster.local/ns/shop/sa/orders", ttlMs: Number.NaN })).rejects.toThrow(
      RangeError,
    );
  });
});
