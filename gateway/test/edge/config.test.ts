import { ConfigError } from "@weft/mesh";
import { describe, expect, it } from "vitest";
import { gatewaySettingsFromEnv } from "../../src/config.ts";

describe("the edge limits' settings", () => {
  it("have defaults that hold every limit", () => {
    const settings = gatewaySettingsFromEnv({});
    expect(settings).toMatchObject({
      firstByteTimeoutMs: 10_000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      http2IdleTimeoutMs: 120_000,
      http2MaxStreams: 256,
      writeTimeoutMs: 30_000,
      maxConnections: 10_000,
      maxConnectionsPerClient: 256,
      trustedProxies: 0,
      forwardedHeader: "x-forwarded-for",
    });
  });

  it("reads each from its variable", () => {
    const settings = gatewaySettingsFromEnv({
      GATEWAY_TRUSTED_PROXIES: "2",
      GATEWAY_FORWARDED_HEADER: "forwarded",
      GATEWAY_WRITE_TIMEOUT_MS: "1500",
      GATEWAY_MAX_CONNECTIONS_PER_CLIENT: "8",
    });
    expect(settings).toMatchObject({
      trustedProxies: 2,
      forwardedHeader: "forwarded",
      writeTimeoutMs: 1_500,
      maxConnectionsPerClient: 8,
    });
  });

  it.each([
    [{ GATEWAY_TRUSTED_PROXIES: "-1" }, "GATEWAY_TRUSTED_PROXIES"],
    [{ GATEWAY_TRUSTED_PROXIES: "one" }, "GATEWAY_TRUSTED_PROXIES"],
    [{ GATEWAY_FORWARDED_HEADER: "x-real-ip" }, "GATEWAY_FORWARDED_HEADER"],
    [{ GATEWAY_FIRST_BYTE_TIMEOUT_MS: "0" }, "GATEWAY_FIRST_BYTE_TIMEOUT_MS"],
    [{ GATEWAY_MAX_CONNECTIONS_PER_CLIENT: "0" }, "GATEWAY_MAX_CONNECTIONS_PER_CLIENT"],
    [{ GATEWAY_HTTP2_MAX_STREAMS: "1e3" }, "GATEWAY_HTTP2_MAX_STREAMS"],
    [{ GATEWAY_HEADERS_TIMEOUT_MS: "20000", GATEWAY_REQUEST_TIMEOUT_MS: "10000" }, "GATEWAY_HEADERS_TIMEOUT_MS"],
  ])("refuses %j naming %s", (env, variable) => {
    expect(() => gatewaySettingsFromEnv(env)).toThrow(ConfigError);
    expect(() => gatewaySettingsFromEnv(env)).toThrow(variable);
  });
});
