import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

const allowedRequestHeaders = [
  "authorization",
  "content-type",
  "connect-protocol-version",
  "connect-timeout-ms",
  "grpc-timeout",
  "x-grpc-web",
  "x-user-agent",
  "x-request-id",
].join(", ");

const exposedHeaders = ["grpc-status", "grpc-message", "grpc-status-details-bin", "x-request-id", "retry-after"].join(
  ", ",
);

/** Cross-origin rules for browsers: only listed origins get CORS headers (`*` lists all). */
export class CorsPolicy {
  private readonly origins: ReadonlySet<string>;

  constructor(originList: string) {
    this.origins = new Set(
      originList
        .split(",")
        .map((o) => o.trim())
        .filter((o) => o !== ""),
    );
  }

  /** Headers to add to a response for this request's Origin (undefined when it is not allowed). */
  headersFor(request: IncomingHttpHeaders): OutgoingHttpHeaders | undefined {
    const origin = request.origin;
    if (origin === undefined || !(this.origins.has("*") || this.origins.has(origin))) return undefined;
    return {
      "access-control-allow-origin": origin,
      "access-control-expose-headers": exposedHeaders,
      vary: "Origin",
    };
  }

  /** The answer to a preflight OPTIONS request. */
  preflight(request: IncomingHttpHeaders): { status: number; headers: OutgoingHttpHeaders } {
    const headers = this.headersFor(request);
    if (headers === undefined) return { status: 403, headers: {} };
    return {
      status: 204,
      headers: {
        ...headers,
        "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
        "access-control-allow-headers": allowedRequestHeaders,
        "access-control-max-age": "600",
      },
    };
  }
}
