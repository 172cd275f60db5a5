// @weft/mesh/testing: what service tests need to run a service for real on this machine — a
// fresh database on the test PostgreSQL, a scratch CA, the app's istio/ policies — and to call it
// as a given workload.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type App, loadApp } from "../app/index.ts";
import type { TokenVerifier } from "../auth/index.ts";
import { type MeshConfig, meshConfigFromEnv } from "../config/mesh-config.ts";
import { createTestDatabase, type TestDatabase } from "../data/index.ts";
import { type CertificateIssuer, localCaIssuer } from "../identity/index.ts";
import { createMesh, type Mesh } from "../mesh.ts";
import type { ServiceBinding } from "../rpc/binding.ts";
import { type RunningService, type ServiceDefinition, startService } from "../service.ts";

export { createTestDatabase, type TestDatabase } from "../data/index.ts";
export { type TestClaims, TestTokens } from "./tokens.ts";

/**
 * The workload name of a test's own probe: the one caller the scratch mesh lets call any RPC of
 * any service (to read back state through RPCs no service of the app calls, such as a GetX only
 * an operator would use). Every other caller gets exactly what the app's policies allow.
 */
export const testOperator = "weft-test-operator";

/**
 * A scratch mesh for the app under test (loadApp(): the one the tests run in): temp CA, the app's
 * istio/ policies (plus one rule for `testOperator`), loopback, free ports, quiet logs.
 */
export class TestMesh {
  readonly dir = mkdtempSync(join(tmpdir(), "weft-test-"));
  readonly app: App;
  /** The scratch CA, held by the test itself: it signs any workload's CSR, which is what a test harness may do. */
  readonly issuer: CertificateIssuer = localCaIssuer(join(this.dir, "ca"));
  private readonly policyDir: string;
  private readonly meshes: Mesh[] = [];
  private readonly services: Array<RunningService<Record<string, unknown>>> = [];
  private readonly databases: TestDatabase[] = [];

  constructor(app: App = loadApp()) {
    this.app = app;
    this.policyDir = join(this.dir, "policies");
    cpSync(join(app.root, "istio"), this.policyDir, { recursive: true });
    writeFileSync(join(this.policyDir, "test-operator.yaml"), testOperatorPolicy(app));
  }

  config(overrides: Partial<MeshConfig> = {}): MeshConfig {
    return {
      ...meshConfigFromEnv({}),
      dataDir: join(this.dir, "ca"),
      issuer: this.issuer,
      policyDir: this.policyDir,
      host: "127.0.0.1",
      port: 0,
      logLevel: (process.env.WEFT_TEST_LOG_LEVEL as MeshConfig["logLevel"]) ?? "silent",
      drainDelayMs: 0,
      shutdownGraceMs: 2_000,
      ...overrides,
    };
  }

  /**
   * Starts a service against a fresh database of its own (dropped in close()); `env` adds the
   * service's own settings and its upstreams' addresses (`<NAME>_ADDR`); `verifier` replaces the
   * app's token verifier (TestTokens.verifier()).
   */
  async start<Schema extends Record<string, unknown>>(
    definition: ServiceDefinition<Schema>,
    options: { mesh?: Partial<MeshConfig>; env?: Record<string, string>; verifier?: TokenVerifier } = {},
  ): Promise<RunningService<Schema> & { address: string }> {
    const database = await createTestDatabase(definition.name);
    this.databases.push(database);
    const service = await startService(definition, {
      app: this.app,
      mesh: this.config(options.mesh),
      settings: { databaseUrl: database.url, dataDir: join(this.dir, "data") },
      env: { ...process.env, ...options.env },
      ...(options.verifier ? { verifier: options.verifier } : {}),
    });
    this.services.push(service as unknown as RunningService<Record<string, unknown>>);
    return Object.assign(service, { address: `127.0.0.1:${service.server.port}` });
  }

  /** Closes the mesh with the others in close() (for meshes a test creates itself). */
  track(mesh: Mesh): void {
    this.meshes.push(mesh);
  }

  /** A typed client that calls as workload `caller` (its certificate says `sa/<caller>`). */
  async client<Handlers, Client>(
    caller: string,
    binding: ServiceBinding<Handlers, Client>,
    address: string,
  ): Promise<Client> {
    const mesh = await createMesh({ name: caller, app: this.app, config: this.config() });
    this.meshes.push(mesh);
    return mesh.connect(binding, { target: address });
  }

  /** A typed client calling as `testOperator`, whom the scratch mesh lets call anything. */
  operator<Handlers, Client>(binding: ServiceBinding<Handlers, Client>, address: string): Promise<Client> {
    return this.client(testOperator, binding, address);
  }

  async close(): Promise<void> {
    await Promise.all(this.services.map((s) => s.stop()));
    await Promise.all(this.meshes.map((m) => m.close()));
    await Promise.all(this.databases.map((d) => d.drop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An extra ALLOW for the test operator on every workload of the app's namespace (Istio ORs ALLOW rules). */
function testOperatorPolicy(app: App): string {
  const principal = app.spiffeId(testOperator).replace(/^spiffe:\/\//, "");
  return `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: weft-test-operator
  namespace: ${app.manifest.namespace}
spec:
  action: ALLOW
  rules:
    - from:
        - source:
            principals: ["${principal}"]
`;
}
