import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localCaIssuer } from "../../src/identity/index.ts";
import { createMesh, type Mesh, type MeshConfig, meshConfigFromEnv } from "../../src/index.ts";

/** An AuthorizationPolicy letting every workload of namespace `shop` call the echo fixtures. */
export const allowShopToCallFixtures = `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: fixtures
  namespace: shop
spec:
  action: ALLOW
  rules:
    - from:
        - source:
            namespaces: ["shop"]
      to:
        - operation:
            paths: ["/weft.echo.v1.*"]
`;

/**
 * A scratch world for mesh tests: its own CA and policy folder in a temp dir, and meshes that
 * listen on loopback with free ports, log nothing and export no metrics.
 */
export class TestWorld {
  readonly dir = mkdtempSync(join(tmpdir(), "weft-mesh-"));
  readonly meshes: Mesh[] = [];
  /** The world's CA, held by the test: meshes get certificates from it in-process. */
  readonly issuer = localCaIssuer(join(this.dir, "ca"));

  constructor(policyYaml = allowShopToCallFixtures) {
    mkdirSync(join(this.dir, "policy"));
    writeFileSync(join(this.dir, "policy", "policy.yaml"), policyYaml);
  }

  config(overrides: Partial<MeshConfig> = {}): MeshConfig {
    return {
      ...meshConfigFromEnv({}),
      // The fixtures' own namespace, whatever app the tests run in.
      namespace: "shop",
      trustDomain: "cluster.local",
      dataDir: join(this.dir, "ca"),
      issuer: this.issuer,
      policyDir: join(this.dir, "policy"),
      host: "127.0.0.1",
      port: 0,
      logLevel: "silent",
      drainDelayMs: 0,
      shutdownGraceMs: 2_000,
      ...overrides,
    };
  }

  async mesh(name: string, overrides: Partial<MeshConfig> = {}): Promise<Mesh> {
    const mesh = await createMesh({ name, config: this.config(overrides) });
    this.meshes.push(mesh);
    return mesh;
  }

  async close(): Promise<void> {
    await Promise.all(this.meshes.map((m) => m.close()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

export function address(port: number): string {
  return `127.0.0.1:${port}`;
}
