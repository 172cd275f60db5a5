import { describe, expect, it } from "vitest";
import { channelOptions } from "../../src/client/service-config.ts";
import {
  Code,
  isServerFailure,
  isUpstreamFailure,
  RpcError,
  retryableCodeNames,
  statusClassOf,
} from "../../src/index.ts";

/** The one table breakers, retries, spans and logs decide from, pinned code by code. */
const expected: Record<string, ReturnType<typeof statusClassOf>> = {
  OK: "ok",
  CANCELLED: "caller",
  UNKNOWN: "server",
  INVALID_ARGUMENT: "caller",
  DEADLINE_EXCEEDED: "unhealthy",
  NOT_FOUND: "caller",
  ALREADY_EXISTS: "caller",
  PERMISSION_DENIED: "caller",
  RESOURCE_EXHAUSTED: "caller",
  FAILED_PRECONDITION: "caller",
  ABORTED: "caller",
  OUT_OF_RANGE: "caller",
  UNIMPLEMENTED: "server",
  INTERNAL: "server",
  UNAVAILABLE: "unhealthy",
  DATA_LOSS: "server",
  UNAUTHENTICATED: "caller",
};

describe("status classes", () => {
  const codes = Object.values(Code).filter((c): c is Code => typeof c === "number");

  it("classifies all 17 codes", () => {
    expect(Object.fromEntries(codes.map((c) => [Code[c], statusClassOf(c)]))).toEqual(expected);
    expect(statusClassOf(99 as Code)).toBe("server");
  });

  it("opens breakers only for an unhealthy upstream", () => {
    const tripping = codes.filter((c) => isUpstreamFailure(new RpcError(c, "x"))).map((c) => Code[c]);
    expect(tripping).toEqual(["DEADLINE_EXCEEDED", "UNAVAILABLE"]);
    expect(isUpstreamFailure(new Error("not an RpcError"))).toBe(false);
  });

  it("marks server failures (error spans, warning logs) the way OTel's gRPC conventions do", () => {
    expect(codes.filter(isServerFailure).map((c) => Code[c])).toEqual([
      "UNKNOWN",
      "DEADLINE_EXCEEDED",
      "UNIMPLEMENTED",
      "INTERNAL",
      "UNAVAILABLE",
      "DATA_LOSS",
    ]);
  });

  it("retries, in the channels' service config, exactly the retryable codes", () => {
    expect(retryableCodeNames).toEqual(["UNAVAILABLE"]);
    const config = JSON.parse(
      String(channelOptions({ service: "a.B", retryMaxAttempts: 3, maxMessageBytes: 1024 })["grpc.service_config"]),
    ) as { methodConfig: Array<{ retryPolicy: { retryableStatusCodes: string[] } }> };
    expect(config.methodConfig[0]?.retryPolicy.retryableStatusCodes).toEqual(["UNAVAILABLE"]);
  });
});
