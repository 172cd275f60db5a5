import { create } from "@bufbuild/protobuf";
import { anyPack, DurationSchema } from "@bufbuild/protobuf/wkt";
import { RetryInfoSchema } from "@weft/gen/google/rpc/error_details_pb.js";
import { Code, errorWithReason, invalidArgument, RpcError } from "@weft/mesh";
import { describe, expect, test } from "vitest";
import { createTranscodeRegistry, httpStatusOf, statusToJson } from "../../src/index.ts";
import { fixtureMessage, loadFixture } from "./fixture.ts";
import { shopRegistry } from "./shop.ts";

describe("httpStatusOf", () => {
  test.each([
    [Code.OK, 200],
    [Code.CANCELLED, 499],
    [Code.UNKNOWN, 500],
    [Code.INVALID_ARGUMENT, 400],
    [Code.DEADLINE_EXCEEDED, 504],
    [Code.NOT_FOUND, 404],
    [Code.ALREADY_EXISTS, 409],
    [Code.PERMISSION_DENIED, 403],
    [Code.RESOURCE_EXHAUSTED, 429],
    [Code.FAILED_PRECONDITION, 400],
    [Code.ABORTED, 409],
    [Code.OUT_OF_RANGE, 400],
    [Code.UNIMPLEMENTED, 501],
    [Code.INTERNAL, 500],
    [Code.UNAVAILABLE, 503],
    [Code.DATA_LOSS, 500],
    [Code.UNAUTHENTICATED, 401],
    [99 as Code, 500],
  ])("%s → %s", (code, status) => {
    expect(httpStatusOf(code)).toBe(status);
  });
});

describe("statusToJson", () => {
  test("INVALID_ARGUMENT with BadRequest field violations", () => {
    const error = invalidArgument([{ field: "items[0].quantity", description: "must be positive" }]);
    expect(statusToJson(error, shopRegistry)).toEqual({
      httpStatus: 400,
      body: {
        code: 3,
        message: "invalid request: items[0].quantity: must be positive",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            fieldViolations: [{ field: "items[0].quantity", description: "must be positive" }],
          },
        ],
      },
    });
  });

  test("FAILED_PRECONDITION with ErrorInfo and RetryInfo", () => {
    const info = errorWithReason(Code.FAILED_PRECONDITION, "INSUFFICIENT_STOCK", "not enough stock", {
      metadata: { product_id: "p-1" },
    });
    const retry = create(RetryInfoSchema, { retryDelay: create(DurationSchema, { seconds: 2n }) });
    const error = new RpcError(info.code, info.rawMessage, { details: [...info.details, retry] });
    expect(statusToJson(error, shopRegistry)).toEqual({
      httpStatus: 400,
      body: {
        code: 9,
        message: "not enough stock",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "INSUFFICIENT_STOCK",
            domain: "weft.dev",
            metadata: { product_id: "p-1" },
          },
          { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "2s" },
        ],
      },
    });
  });

  test("NOT_FOUND without details still has an empty details list", () => {
    expect(statusToJson(new RpcError(Code.NOT_FOUND, "order o-1 not found"), shopRegistry)).toEqual({
      httpStatus: 404,
      body: { code: 5, message: "order o-1 not found", details: [] },
    });
  });

  test("details of a type the registry lacks are dropped, not fatal", () => {
    const inner = create(fixtureMessage("Inner"), { note: "n" });
    const unknownAny = anyPack(fixtureMessage("Inner"), inner);
    const error = new RpcError(Code.ABORTED, "conflict", { details: [inner, unknownAny] });
    expect(statusToJson(error, createTranscodeRegistry([])).body).toEqual({
      code: 10,
      message: "conflict",
      details: [],
    });
    // With the fixture's registry, both are written.
    const withFixture = statusToJson(error, loadFixture().registry).body;
    expect(withFixture.details).toEqual([
      { "@type": "type.googleapis.com/weft.transcode.v1.Inner", note: "n" },
      { "@type": "type.googleapis.com/weft.transcode.v1.Inner", note: "n" },
    ]);
  });
});
