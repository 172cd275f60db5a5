// Test helpers: route and decode a request given as `METHOD /path?query` plus an optional body.
import { type JsonValue, type Registry, toJson } from "@bufbuild/protobuf";
import { Code, RpcError } from "@weft/mesh";
import { expect } from "vitest";
import { decodeRestRequest, type RestRouter, type RouteMatch } from "../../src/index.ts";

export function route(router: RestRouter, request: string): { match: RouteMatch; query: URLSearchParams } {
  const [method = "", target = ""] = request.split(" ");
  const url = new URL(target, "http://gateway.test");
  const match = router.match(method, url.pathname);
  if (match?.kind !== "match") throw new Error(`${request} does not route`);
  return { match, query: url.searchParams };
}

/** The decoded request as proto3 JSON (defaults omitted), with the RPC's name. */
export function decodeToJson(
  router: RestRouter,
  registry: Registry,
  request: string,
  body?: string,
): { rpc: string; json: JsonValue } {
  const { match, query } = route(router, request);
  const message = decodeRestRequest(match, query, body, registry);
  return { rpc: match.route.method.name, json: toJson(match.route.method.input, message, { registry }) };
}

/** The field violations of the INVALID_ARGUMENT the request is refused with. */
export function decodeViolations(
  router: RestRouter,
  registry: Registry,
  request: string,
  body?: string,
): { field: string; description: string }[] {
  const { match, query } = route(router, request);
  try {
    decodeRestRequest(match, query, body, registry);
  } catch (error) {
    expect(error).toBeInstanceOf(RpcError);
    const rpcError = error as RpcError;
    expect(rpcError.code).toBe(Code.INVALID_ARGUMENT);
    return rpcError.fieldViolations;
  }
  throw new Error(`${request} decoded without error`);
}
