import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ConfigError, meshConfigFromEnv } from "../../src/index.ts";

const root = new URL("../../../", import.meta.url).pathname;

describe("mesh configuration from the environment", () => {
  it("has defaults for everything", () => {
    const config = meshConfigFromEnv({});
    expect(config).toMatchObject({
      mtls: "mesh",
      port: 50051,
      clientTimeoutMs: 10_000,
      metricsPort: -1,
    });
    // Namespace and trust domain are the app's (weft.app.yaml); the variables only override them.
    expect(config.namespace).toBeUndefined();
    expect(config.trustDomain).toBeUndefined();
    expect(meshConfigFromEnv({ MESH_NAMESPACE: "staging" }).namespace).toBe("staging");
  });

  it("reads every variable", () => {
    const config = meshConfigFromEnv({
      MESH_MTLS: "istio",
      GRPC_PORT: "6000",
      MESH_RETRY_MAX_ATTEMPTS: "1",
      LOG_LEVEL: "warn",
    });
    expect(config).toMatchObject({ mtls: "istio", port: 6000, retryMaxAttempts: 1, logLevel: "warn" });
  });

  it.each([
    [{ GRPC_PORT: "abc" }, 'GRPC_PORT must be an integer from 0 to 65535 (got "abc")'],
    [{ GRPC_PORT: "70000" }, 'GRPC_PORT must be an integer from 0 to 65535 (got "70000")'],
    [{ MESH_MTLS: "tls" }, 'MESH_MTLS must be one of mesh, istio, off (got "tls")'],
    [{ MESH_NAMESPACE: "Shop_1" }, 'MESH_NAMESPACE must be a Kubernetes namespace name (got "Shop_1")'],
    [{ MESH_CLIENT_TIMEOUT_MS: "1.5" }, 'MESH_CLIENT_TIMEOUT_MS must be an integer from 1 to 600000 (got "1.5")'],
  ])("refuses %o with one line naming the variable", (env, message) => {
    expect(() => meshConfigFromEnv(env)).toThrow(new ConfigError(message));
  });

  it("stops a program with that one line and exit code 2, not a stack trace", () => {
    const result = spawnSync("node_modules/.bin/tsx", ["mesh/test/config/bad-config-main.ts"], {
      cwd: root,
      env: { ...process.env, MESH_SHUTDOWN_GRACE_MS: "soon" },
      encoding: "utf8",
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toBe(
      'bad-config: configuration error: MESH_SHUTDOWN_GRACE_MS must be an integer from 0 to 600000 (got "soon")',
    );
  });
});
