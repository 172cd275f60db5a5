// The console's HTTP server: the JSON API under /api/, live updates at /api/live (server-sent
// events), and the built web UI for everything else (index.html for client-side routes).
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { extname, join, normalize, resolve } from "node:path";
import { ensureAssets } from "../assets.ts";
import { type ApiContext, HttpError, handleApi } from "./api.ts";
import { listenPreferring } from "./listen.ts";

export interface ConsoleHttpOptions {
  host: string;
  port: number;
  /** Folder of the built UI; undefined: console/dist, built when stale; false: none. */
  assets: string | false | undefined;
  context: ApiContext;
}

export interface ConsoleHttp {
  url: string;
  close(): Promise<void>;
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".map": "application/json",
};

const maxBodyBytes = 1024 * 1024;

export async function startConsoleHttp(options: ConsoleHttpOptions): Promise<ConsoleHttp> {
  const assets = options.assets === false ? undefined : (options.assets ?? (await ensureAssets()));
  const server = createServer((request, response) => {
    route(options.context, assets, request, response).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (!response.headersSent) response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: message }));
    });
  });
  const port = await listenPreferring(server, options.host, options.port);
  return {
    url: `http://${options.host === "0.0.0.0" ? "127.0.0.1" : options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(ctx: ApiContext, assets: string | undefined, request: IncomingMessage, response: ServerResponse) {
  const url = new URL(request.url ?? "/", "http://console.invalid");
  if (url.pathname === "/api/live") return ctx.live.attach(response);
  if (url.pathname.startsWith("/api/")) {
    const result = await handleApi(ctx, {
      method: request.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      body: () => readJson(request),
    });
    response.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
    response.end(JSON.stringify(result ?? null));
    return;
  }
  if (request.method !== "GET" && request.method !== "HEAD") throw new HttpError(405, "the UI is read with GET");
  if (!assets) throw new HttpError(404, "this console serves its API only");
  const file = staticFile(assets, url.pathname);
  const body = readFileSync(file);
  response.writeHead(200, {
    "content-type": contentTypes[extname(file)] ?? "application/octet-stream",
    // Vite fingerprints everything under assets/; index.html must always be fresh.
    "cache-control": file.includes(`${join(assets, "assets")}`) ? "public, max-age=31536000, immutable" : "no-cache",
  });
  response.end(request.method === "HEAD" ? undefined : body);
}

function staticFile(root: string, pathname: string): string {
  const candidate = resolve(root, `.${normalize(decodeURIComponent(pathname))}`);
  if (candidate.startsWith(resolve(root)) && existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  // Client-side routes (/traces/<id>, /logs) are the app's.
  return join(root, "index.html");
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new HttpError(413, "request body too large");
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "the body is not JSON");
  }
}
