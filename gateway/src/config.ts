import { ConfigError, type Env, integer, oneOf, readSettings, text } from "@weft/mesh";

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

  // Edge limits: timeouts, connection caps and who the client is (README: "Edge limits").
  /** A new connection must send its first byte within this, or it is closed. */
  firstByteTimeoutMs: number;
  /** A request's headers must arrive within this of its first byte (HTTP/1.1: else 408 and close); a new HTTP/2 session must open a stream within it. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this: else 408. */
  requestTimeoutMs: number;
  /** HTTP/1.1: a keep-alive connection idle for this long is closed. */
  keepAliveTimeoutMs: number;
  /** HTTP/2: a session with no open stream for this long gets GOAWAY and is closed. */
  http2IdleTimeoutMs: number;
  /** HTTP/2: concurrent streams one session may open (SETTINGS_MAX_CONCURRENT_STREAMS). */
  http2MaxStreams: number;
  /** A response the client has not read from for this long is cut (the connection, or the HTTP/2 stream). */
  writeTimeoutMs: number;
  /** Open connections in all; beyond, new ones are closed at once. */
  maxConnections: number;
  /** Open connections per client address (IPv6: per /64); not applied when proxies are trusted. */
  maxConnectionsPerClient: number;
  /** Proxies in front of the edge that append the client's address to `forwardedHeader`; 0: none. */
  trustedProxies: number;
  /** The header those proxies append to: `x-forwarded-for` or `forwarded` (RFC 7239). */
  forwardedHeader: "x-forwarded-for" | "forwarded";
}

export function gatewaySettingsFromEnv(env: Env = process.env, defaults: { port?: number } = {}): GatewaySettings {
  const port = defaults.port ?? 8080;
  const settings = readSettings<GatewaySettings>(
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
      // Edge limits.
      firstByteTimeoutMs: ["GATEWAY_FIRST_BYTE_TIMEOUT_MS", integer(10_000, 50, 600_000)],
      headersTimeoutMs: ["GATEWAY_HEADERS_TIMEOUT_MS", integer(10_000, 50, 600_000)],
      requestTimeoutMs: ["GATEWAY_REQUEST_TIMEOUT_MS", integer(30_000, 50, 3_600_000)],
      keepAliveTimeoutMs: ["GATEWAY_KEEPALIVE_TIMEOUT_MS", integer(5_000, 50, 600_000)],
      http2IdleTimeoutMs: ["GATEWAY_HTTP2_IDLE_TIMEOUT_MS", integer(120_000, 50, 3_600_000)],
      http2MaxStreams: ["GATEWAY_HTTP2_MAX_STREAMS", integer(256, 1, 10_000)],
      writeTimeoutMs: ["GATEWAY_WRITE_TIMEOUT_MS", integer(30_000, 50, 600_000)],
      maxConnections: ["GATEWAY_MAX_CONNECTIONS", integer(10_000, 1, 1_000_000)],
      maxConnectionsPerClient: ["GATEWAY_MAX_CONNECTIONS_PER_CLIENT", integer(256, 1, 1_000_000)],
      trustedProxies: ["GATEWAY_TRUSTED_PROXIES", integer(0, 0, 16)],
      forwardedHeader: ["GATEWAY_FORWARDED_HEADER", oneOf("x-forwarded-for", ["x-forwarded-for", "forwarded"])],
    },
    env,
  );
  // Node measures both from a request's first byte: headers cannot be given longer than the whole.
  if (settings.headersTimeoutMs > settings.requestTimeoutMs) {
    throw new ConfigError(
      `GATEWAY_HEADERS_TIMEOUT_MS (${settings.headersTimeoutMs}) must not exceed GATEWAY_REQUEST_TIMEOUT_MS (${settings.requestTimeoutMs})`,
    );
  }
  return settings;
}
