import type { Registry } from "@bufbuild/protobuf";
import { Code, RpcError } from "@weft/mesh";
import type { EdgeAuthenticator } from "../edge/authenticate.ts";
import { type EdgeRateLimits, retryAfterOf } from "../edge/rate-limit.ts";
import {
  decodeRestRequest,
  encodeNdjsonStream,
  encodeRestResponse,
  ndjsonContentType,
  type RestRouter,
  type RouteMatch,
  statusToJson,
} from "../index.ts";
import type { Upstreams } from "../upstreams.ts";
import { type ForwardedCall, upstreamOptions } from "./forwarding.ts";

/** A REST request as the edge has read it. */
export interface RestRequest {
  match: RouteMatch;
  query: URLSearchParams;
  body: string | undefined;
  authorization: string | undefined;
  requestId: string;
  signal: AbortSignal;
}

/** What to send back: a status, headers (with the content type), and a JSON body or a stream of NDJSON lines. */
export type RestReply =
  | { status: number; headers: Readonly<Record<string, string>>; json: unknown }
  | { status: number; headers: Readonly<Record<string, string>>; lines: AsyncIterable<string> };

/** The headers of a JSON answer, shared by every one that needs no other. */
export const jsonHeaders: Readonly<Record<string, string>> = Object.freeze({ "content-type": "application/json" });

export interface RestHandlerOptions {
  router: RestRouter;
  upstreams: Upstreams;
  authenticator: EdgeAuthenticator;
  limits: EdgeRateLimits;
  registry: Registry;
  timeoutMs: number;
}

/**
 * REST/JSON transcoded from google.api.http: decode the request message from path, query and
 * body, authenticate, forward over the mesh, encode the response (or NDJSON for a server stream).
 * Every failure is a google.rpc.Status JSON with the standard HTTP status.
 */
export class RestHandler {
  constructor(private readonly options: RestHandlerOptions) {}

  async handle(request: RestRequest): Promise<RestReply> {
    const { route } = request.match;
    try {
      const message = decodeRestRequest(request.match, request.query, request.body, this.options.registry);
      const { authenticator } = this.options;
      if (!authenticator.isAnonymous(route.method, request.authorization)) {
        const user = await authenticator.authenticate(route.method, request.authorization);
        if (user) this.options.limits.admitUser(user.id);
      }
      const forwarded: ForwardedCall = {
        authorization: request.authorization,
        requestId: request.requestId,
        timeoutMs: this.options.timeoutMs,
        signal: request.signal,
      };
      if (route.method.methodKind === "server_streaming") {
        const responses = this.options.upstreams.serverStream(route.method, message, upstreamOptions(forwarded));
        return {
          status: 200,
          headers: { "content-type": ndjsonContentType },
          lines: encodeNdjsonStream(route, responses, this.options.registry),
        };
      }
      if (route.method.methodKind !== "unary") {
        throw new RpcError(Code.UNIMPLEMENTED, "streaming requests are not available over REST");
      }
      const response = await this.options.upstreams.unary(route.method, message, upstreamOptions(forwarded));
      return {
        status: 200,
        headers: jsonHeaders,
        json: encodeRestResponse(route, response, this.options.registry),
      };
    } catch (error) {
      return this.failure(RpcError.from(error));
    }
  }

  failure(error: RpcError): RestReply {
    const { httpStatus, body } = statusToJson(error, this.options.registry);
    const retryAfter = retryAfterOf(error);
    const headers = retryAfter === undefined ? jsonHeaders : { ...jsonHeaders, "retry-after": retryAfter };
    return { status: httpStatus, headers, json: body };
  }
}
