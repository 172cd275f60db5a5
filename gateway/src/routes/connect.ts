import type { DescService, Message, Registry } from "@bufbuild/protobuf";
import {
  type Code as ConnectCode,
  ConnectError,
  type ConnectRouter,
  type Interceptor,
  type ServiceImpl,
} from "@connectrpc/connect";
import { RpcError } from "@weft/mesh";
import { isEdgeRpc } from "@weft/mesh/contracts";
import type { EdgeAuthenticator } from "../edge/authenticate.ts";
import { activeEdgeSpan, type EdgeSpan } from "../edge/edge-span.ts";
import { type EdgeRateLimits, retryAfterKey, retryAfterOf } from "../edge/rate-limit.ts";
import type { Upstreams } from "../upstreams.ts";
import { upstreamOptions } from "./forwarding.ts";

export interface ConnectRoutesOptions {
  upstreams: Upstreams;
  authenticator: EdgeAuthenticator;
  limits: EdgeRateLimits;
  registry: Registry;
  timeoutMs: number;
  requestIdOf: (headers: Headers) => string;
}

/**
 * Connect, gRPC-Web and gRPC for every public RPC (those with a google.api.http rule), each
 * forwarded to its service over the mesh. RPCs without a REST rule are internal and answered
 * UNIMPLEMENTED here, so the edge can never be a way around the mesh's policies.
 */
export function connectRoutes(options: ConnectRoutesOptions): (router: ConnectRouter) => void {
  return (router) => {
    for (const service of options.upstreams.services) {
      router.service(service, forwardingImpl(service, options) as Partial<ServiceImpl<DescService>>);
    }
  };
}

/**
 * Authentication and per-user limits for every Connect/gRPC/gRPC-Web call, before it is forwarded;
 * and the code the call ends with, for the edge span (over gRPC the HTTP status says nothing).
 */
export function edgeInterceptor(options: ConnectRoutesOptions): Interceptor {
  return (next) => async (request) => {
    const edgeSpan = activeEdgeSpan();
    try {
      const user = await options.authenticator.authenticate(request.method, request.header.get("authorization"));
      if (user) options.limits.admitUser(user.id);
      const response = await next(request);
      if (!response.stream) {
        edgeSpan?.rpcEnded(0);
        return response;
      }
      return { ...response, message: recordingEnd(response.message, edgeSpan) };
    } catch (error) {
      const failure = toConnectError(error, options.registry);
      edgeSpan?.rpcEnded(failure.code);
      throw failure;
    }
  };
}

/** A response stream that tells the edge span how it ended. */
async function* recordingEnd<T>(messages: AsyncIterable<T>, edgeSpan: EdgeSpan | undefined): AsyncIterable<T> {
  try {
    yield* messages;
    edgeSpan?.rpcEnded(0);
  } catch (error) {
    edgeSpan?.rpcEnded(ConnectError.from(error).code);
    throw error;
  }
}

function forwardingImpl(service: DescService, options: ConnectRoutesOptions): Record<string, unknown> {
  const impl: Record<string, unknown> = {};
  for (const method of service.methods) {
    if (!isEdgeRpc(method)) continue;
    const callOptions = (ctx: { requestHeader: Headers; signal: AbortSignal; timeoutMs: () => number | undefined }) =>
      upstreamOptions({
        authorization: ctx.requestHeader.get("authorization") ?? undefined,
        requestId: options.requestIdOf(ctx.requestHeader),
        timeoutMs: Math.min(ctx.timeoutMs() ?? options.timeoutMs, options.timeoutMs),
        signal: ctx.signal,
      });
    if (method.methodKind === "unary") {
      impl[method.localName] = async (request: Message, ctx: Parameters<typeof callOptions>[0]) => {
        try {
          return await options.upstreams.unary(method, request, callOptions(ctx));
        } catch (error) {
          throw toConnectError(error, options.registry);
        }
      };
    } else if (method.methodKind === "server_streaming") {
      impl[method.localName] = async function* (request: Message, ctx: Parameters<typeof callOptions>[0]) {
        try {
          yield* options.upstreams.serverStream(method, request, callOptions(ctx));
        } catch (error) {
          throw toConnectError(error, options.registry);
        }
      };
    }
  }
  return impl;
}

/** An upstream RpcError (or anything thrown) as the ConnectError the Connect runtime encodes. */
export function toConnectError(error: unknown, registry: Registry): ConnectError {
  if (error instanceof ConnectError) return error;
  const rpc = RpcError.from(error);
  const details = rpc.details.flatMap((detail) => {
    const desc = registry.getMessage(detail.$typeName);
    return desc ? [{ desc, value: detail }] : [];
  });
  const metadata = new Headers();
  const retryAfter = retryAfterOf(rpc);
  if (retryAfter !== undefined) metadata.set(retryAfterKey, retryAfter);
  return new ConnectError(rpc.rawMessage, rpc.code as number as ConnectCode, metadata, details, error);
}
