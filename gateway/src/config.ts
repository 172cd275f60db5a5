import { type Env, integer, readSettings, text } from "@weft/mesh";

/**
 * The edge's own settings. What it serves, where its upstreams are and how it verifies tokens
 * are not settings: they come from the app's manifests (weft.app.yaml, services/<name>/weft.yaml).
 */
export interface GatewaySettings {
  host: string;
  /** Default: weft.app.yaml's `edge.port`. */
  port: number;
  /** Origins allowed to call from a browser, comma separated; `*` allows any. */
  corsOrigins: string;
  maxBodyBytes: number;
  /** Budget of a REST call, and the most any call may ask for. */
  timeoutMs: number;
  /** Token bucket per client IP: sustained requests per second, and burst. */
  ipRatePerSecond: number;
  ipBurst: number;
  /** Token bucket per authenticated user. */
  userRatePerSecond: number;
  userBurst: number;
  /** The OpenAPI document `weft generate` writes. */
  openapiPath: string;
}

export function gatewaySettingsFromEnv(env: Env = process.env, defaults: { port?: number } = {}): GatewaySettings {
  const port = defaults.port ?? 8080;
  return readSettings<GatewaySettings>(
    {
      host: ["GATEWAY_HOST", text("0.0.0.0")],
      port: ["GATEWAY_PORT", integer(port, 0, 65535)],
      corsOrigins: ["GATEWAY_CORS_ORIGINS", text(`http://localhost:${port},http://127.0.0.1:${port}`)],
      maxBodyBytes: ["GATEWAY_MAX_BODY_BYTES", integer(1024 * 1024, 1024, 64 * 1024 * 1024)],
      timeoutMs: ["GATEWAY_TIMEOUT_MS", integer(15_000, 100, 600_000)],
      ipRatePerSecond: ["GATEWAY_IP_RATE", integer(100, 1, 1_000_000)],
      ipBurst: ["GATEWAY_IP_BURST", integer(200, 1, 1_000_000)],
      userRatePerSecond: ["GATEWAY_USER_RATE", integer(50, 1, 1_000_000)],
      userBurst: ["GATEWAY_USER_BURST", integer(100, 1, 1_000_000)],
      openapiPath: ["GATEWAY_OPENAPI_PATH", text("gen/openapi/weft.openapi.json")],
    },
    env,
  );
}
