import { type Env, integer, readSettings, text } from "@weft/mesh";

export interface GatewaySettings {
  host: string;
  port: number;
  identityAddr: string;
  catalogAddr: string;
  inventoryAddr: string;
  ordersAddr: string;
  notificationsAddr: string;
  jwtIssuer: string;
  jwtAudience: string;
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
  /** The OpenAPI document `make generate` writes. */
  openapiPath: string;
}

const target = (fallback: string) =>
  text(fallback, /^[\w.:\-/[\],]+$/, "a gRPC target such as 127.0.0.1:50051 or dns:///host:port");

export function gatewaySettingsFromEnv(env: Env = process.env): GatewaySettings {
  return readSettings<GatewaySettings>(
    {
      host: ["GATEWAY_HOST", text("0.0.0.0")],
      port: ["GATEWAY_PORT", integer(8080, 0, 65535)],
      identityAddr: ["IDENTITY_ADDR", target("127.0.0.1:50051")],
      catalogAddr: ["CATALOG_ADDR", target("127.0.0.1:50052")],
      inventoryAddr: ["INVENTORY_ADDR", target("127.0.0.1:50053")],
      ordersAddr: ["ORDERS_ADDR", target("127.0.0.1:50054")],
      notificationsAddr: ["NOTIFICATIONS_ADDR", target("127.0.0.1:50056")],
      jwtIssuer: ["JWT_ISSUER", text("weft-identity")],
      jwtAudience: ["JWT_AUDIENCE", text("weft")],
      corsOrigins: ["GATEWAY_CORS_ORIGINS", text("http://localhost:8080,http://127.0.0.1:8080")],
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
