import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry, RegistryContentType } from "prom-client";

export interface MetricsServerOptions {
  /** 0 picks a free port; the bound one is returned. */
  port: number;
  /** All interfaces when omitted, so Prometheus can scrape the pod. */
  host?: string;
  registry: Registry<RegistryContentType>;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** Serves `GET /metrics` in the registry's text format on its own port, apart from gRPC traffic. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { registry } = options;
  const server = createServer((request, response) => {
    respond(registry, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
      response.end("failed to collect metrics\n");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Scrapers keep connections alive; without this close() would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}

async function respond(
  registry: Registry<RegistryContentType>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? "/", "http://metrics.invalid").pathname;
  if (path !== "/metrics") {
    response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    return;
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n");
    return;
  }
  const body = await registry.metrics();
  response.writeHead(200, { "content-type": registry.contentType });
  response.end(request.method === "HEAD" ? undefined : body);
}
