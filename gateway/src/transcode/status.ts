// gRPC status → HTTP response: the status code from the standard mapping (google/rpc/code.proto,
// as grpc-gateway and Envoy apply it) and a JSON google.rpc.Status body with its details.
import type { JsonObject, JsonValue, Message, Registry } from "@bufbuild/protobuf";
import { toJson } from "@bufbuild/protobuf";
import { type Any, AnySchema, anyPack } from "@bufbuild/protobuf/wkt";
import { Code, isUnknownDetail, type RpcError } from "@weft/mesh";

const httpStatusByCode: ReadonlyMap<Code, number> = new Map([
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
]);

/** The HTTP status for a gRPC code; 500 for a code outside the standard set. */
export function httpStatusOf(code: Code): number {
  return httpStatusByCode.get(code) ?? 500;
}

export interface HttpError {
  readonly httpStatus: number;
  /** `{ "code": 3, "message": "...", "details": [{ "@type": "type.googleapis.com/...", ... }] }` */
  readonly body: JsonObject;
}

/**
 * The HTTP form of an RpcError. `code`, `message` and `details` are always present (a client can
 * rely on the shape); each detail is proto3 JSON without default values, as grpc-gateway writes
 * it. Details whose type the registry does not know are left out rather than failing the whole
 * error response; createTranscodeRegistry knows every google.rpc detail.
 */
export function statusToJson(error: RpcError, registry: Registry): HttpError {
  const details = error.details.flatMap((detail) => detailJson(detail, registry));
  return { httpStatus: httpStatusOf(error.code), body: { code: error.code, message: error.rawMessage, details } };
}

function detailJson(detail: Message, registry: Registry): JsonValue[] {
  const any = isUnknownDetail(detail) ? detail : packKnown(detail, registry);
  if (any === undefined) return [];
  try {
    return [toJson(AnySchema, any, { registry })];
  } catch {
    return [];
  }
}

function packKnown(detail: Message, registry: Registry): Any | undefined {
  const schema = registry.getMessage(detail.$typeName);
  return schema === undefined ? undefined : anyPack(schema, detail);
}
