// Attacks on the edge's connection handling, each as a client would mount it: sockets that send
// nothing, headers and bodies that trickle in, readers that stop reading, too many connections
// from one address, forged forwarding headers, and a flood of /readyz.
import { connect as connectHttp2 } from "node:http2";
import { connect, type Socket } from "node:net";
import { Code as ConnectCode, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { IdentityService } from "@weft/gen/shop/identity/v1/identity_pb.js";
import { createMesh } from "@weft/mesh";
import { TestMesh } from "@weft/mesh/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewaySettings } from "../../src/config.ts";
import { type Gateway, startGateway } from "../../src/server.ts";
import {
  createTokens,
  flood,
  floodMessageBytes,
  floodOrderId,
  startFakes,
  type Tokens,
  testEdgeSettings,
  testUpstreamEnv,
  throttledEmail,
  throttledRetrySeconds,
} from "./fakes.ts";

const world = new TestMesh();
const gateways: Gateway[] = [];
let tokens: Tokens;
let addresses: Awaited<ReturnType<typeof startFakes>>;

beforeAll(async () => {
  tokens = await createTokens();
  addresses = await startFakes(world, tokens);
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close(100)));
  await world.close();
});

async function startEdge(overrides: Partial<GatewaySettings>): Promise<Gateway> {
  const mesh = await createMesh({ name: "gateway", config: world.config(), env: testUpstreamEnv(addresses) });
  world.track(mesh);
  const gateway = await startGateway(mesh, testEdgeSettings(overrides));
  gateways.push(gateway);
  return gateway;
}

/** A raw TCP connection to the edge, optionally from another loopback address. */
function rawConnect(port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, ...(localAddress ? { localAddress } : {}) });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Everything the socket receives, and when (ms after `since`) it closed, or undefined after `waitMs`. */
function untilClosed(
  socket: Socket,
  waitMs: number,
  since = Date.now(),
): Promise<{ data: string; closedAfter?: number }> {
  let data = "";
  socket.on("data", (chunk: Buffer) => {
    data += chunk.toString("latin1");
  });
  socket.on("error", () => {});
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ data }), waitMs);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve({ data, closedAfter: Date.now() - since });
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(condition: () => boolean, waitMs: number): Promise<boolean> {
  const until = Date.now() + waitMs;
  while (Date.now() < until) {
    if (condition()) return true;
    await sleep(20);
  }
  return condition();
}

describe("timeouts at the edge", () => {
  it("closes a connection that sends nothing within the first-byte timeout", async () => {
    const edge = await startEdge({ firstByteTimeoutMs: 300 });
    const socket = await rawConnect(edge.port);
    const { data, closedAfter } = await untilClosed(socket, 5_000);
    expect(closedAfter, "the idle socket was still open after 5 s").toBeDefined();
    expect(closedAfter).toBeGreaterThanOrEqual(250);
    expect(closedAfter).toBeLessThan(2_500);
    expect(data).toBe("");
  });

  it("answers a slowloris header drip with 408 and closes the connection", async () => {
    const edge = await startEdge({ headersTimeoutMs: 400, requestTimeoutMs: 1_000 });
    const socket = await rawConnect(edge.port);
    const started = Date.now();
    socket.write("GET /v1/products HTTP/1.1\r\nHost: edge\r\n");
    // One more header line every 100 ms: each byte resets no timer, the headers never end.
    const drip = setInterval(() => socket.writable && socket.write(`X-Drip-${Date.now()}: 1\r\n`), 100);
    const { data, closedAfter } = await untilClosed(socket, 5_000, started);
    clearInterval(drip);
    expect(data).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfter, "the dripping connection was still open after 5 s").toBeDefined();
    expect(closedAfter).toBeLessThan(2_500);
  });

  it("answers a request body that trickles in with 408", async () => {
    const edge = await startEdge({ headersTimeoutMs: 300, requestTimeoutMs: 800 });
    const socket = await rawConnect(edge.port);
    const started = Date.now();
    socket.write(
      "POST /v1/auth/login HTTP/1.1\r\nHost: edge\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
    );
    const drip = setInterval(() => socket.writable && socket.write(" "), 100);
    const { data, closedAfter } = await untilClosed(socket, 5_000, started);
    clearInterval(drip);
    expect(data).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfter).toBeDefined();
    expect(closedAfter).toBeGreaterThanOrEqual(700);
    expect(closedAfter).toBeLessThan(3_000);
  });

  it("closes an idle keep-alive connection after the keep-alive timeout", async () => {
    const edge = await startEdge({ keepAliveTimeoutMs: 300 });
    const socket = await rawConnect(edge.port);
    const closed = untilClosed(socket, 6_000);
    socket.write("GET /healthz HTTP/1.1\r\nHost: edge\r\n\r\n");
    const { data, closedAfter } = await closed;
    expect(data).toMatch(/^HTTP\/1\.1 200 /);
    expect(closedAfter).toBeDefined();
    // The keep-alive timeout plus Node's one-second buffer, with room for a loaded machine.
    expect(closedAfter).toBeLessThan(3_500);
  });

  it("sends GOAWAY to an HTTP/2 session with no open stream and closes it", async () => {
    const edge = await startEdge({ http2IdleTimeoutMs: 300 });
    const session = connectHttp2(`http://127.0.0.1:${edge.port}`);
    session.on("error", () => {});
    const goaway = new Promise<boolean>((resolve) => {
      session.once("goaway", () => resolve(true));
      setTimeout(() => resolve(false), 5_000);
    });
    const request = session.request({ ":path": "/healthz" });
    request.resume();
    await new Promise((resolve) => request.once("close", resolve));
    const started = Date.now();
    expect(await goaway, "no GOAWAY within 5 s of the last stream").toBe(true);
    expect(Date.now() - started).toBeLessThan(3_000);
    await waitUntil(() => session.closed || session.destroyed, 2_000);
    expect(session.closed || session.destroyed).toBe(true);
  });

  it("closes an HTTP/2 session that opens no stream within the header timeout", async () => {
    const edge = await startEdge({ headersTimeoutMs: 300, http2IdleTimeoutMs: 60_000 });
    const session = connectHttp2(`http://127.0.0.1:${edge.port}`);
    session.on("error", () => {});
    const started = Date.now();
    const closed = await new Promise<boolean>((resolve) => {
      session.once("goaway", () => resolve(true));
      session.once("close", () => resolve(true));
      setTimeout(() => resolve(false), 5_000);
    });
    session.destroy();
    expect(closed, "a session without streams was still open after 5 s").toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("answers an HTTP/2 request whose body never ends with 408", async () => {
    const edge = await startEdge({ requestTimeoutMs: 500, headersTimeoutMs: 300 });
    const session = connectHttp2(`http://127.0.0.1:${edge.port}`);
    session.on("error", () => {});
    try {
      const request = session.request({
        ":method": "POST",
        ":path": "/v1/auth/login",
        "content-type": "application/json",
      });
      request.on("error", () => {});
      request.write("{");
      const started = Date.now();
      const status = await new Promise<number | undefined>((resolve) => {
        request.once("response", (headers) => resolve(Number(headers[":status"])));
        setTimeout(() => resolve(undefined), 4_000);
      });
      expect(status).toBe(408);
      expect(Date.now() - started).toBeLessThan(2_000);
      request.resume();
      expect(await waitUntil(() => request.closed, 2_000)).toBe(true);
    } finally {
      session.destroy();
    }
  });

  it("cuts an NDJSON stream the client stops reading, and the upstream stream with it", async () => {
    const writeTimeoutMs = 500;
    const edge = await startEdge({ writeTimeoutMs, timeoutMs: 120_000 });
    const token = await tokens.sign();
    const socket = await rawConnect(edge.port);
    const before = { ...flood };
    const closed = untilClosed(socket, 20_000);
    socket.write(
      `GET /v1/orders/${floodOrderId}:watch HTTP/1.1\r\nHost: edge\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    // Read the first bytes, then stop reading for good.
    await new Promise((resolve) => socket.once("data", resolve));
    socket.pause();
    const pausedAt = Date.now();
    const cut = await waitUntil(() => flood.cancelled > before.cancelled, writeTimeoutMs + 10_000);
    expect(cut, "the upstream stream was never cancelled").toBe(true);
    // The buffers on the way fill within moments; then the write timeout runs.
    expect(flood.cancelledAt - pausedAt).toBeLessThan(writeTimeoutMs + 4_000);
    // What was produced while nobody read is what the buffers on the way hold (kernel socket
    // buffers, HTTP/2 windows, stream high-water marks): bounded, not growing with time.
    const producedBytes = (flood.produced - before.produced) * floodMessageBytes;
    expect(producedBytes).toBeLessThan(64 * 1024 * 1024);
    socket.resume();
    expect((await closed).closedAfter, "the stalled connection was not closed").toBeDefined();
  });

  it("cuts an HTTP/2 stream the client stops reading, leaving the session usable", async () => {
    const edge = await startEdge({ writeTimeoutMs: 500, timeoutMs: 120_000 });
    const token = await tokens.sign();
    const session = connectHttp2(`http://127.0.0.1:${edge.port}`);
    session.on("error", () => {});
    try {
      const before = { ...flood };
      const stream = session.request({ ":path": `/v1/orders/${floodOrderId}:watch`, authorization: `Bearer ${token}` });
      stream.on("error", () => {});
      await new Promise((resolve) => stream.once("response", resolve));
      stream.pause();
      const cut = await waitUntil(() => flood.cancelled > before.cancelled, 10_000);
      expect(cut, "the upstream stream was never cancelled").toBe(true);
      expect((flood.produced - before.produced) * floodMessageBytes).toBeLessThan(64 * 1024 * 1024);
      // The other streams of the session are not punished for the one.
      const health = session.request({ ":path": "/healthz" });
      const status = await new Promise<number>((resolve) =>
        health.once("response", (h) => resolve(Number(h[":status"]))),
      );
      health.resume();
      expect(status).toBe(200);
    } finally {
      session.destroy();
    }
  });
});

describe("connection caps", () => {
  it("tells HTTP/2 clients how many streams one session may open", async () => {
    const edge = await startEdge({ http2MaxStreams: 7 });
    const session = connectHttp2(`http://127.0.0.1:${edge.port}`);
    session.on("error", () => {});
    try {
      await new Promise((resolve) => session.once("remoteSettings", resolve));
      expect(session.remoteSettings.maxConcurrentStreams).toBe(7);
    } finally {
      session.destroy();
    }
  });

  it("refuses connections beyond the per-client cap while another address still gets in", async () => {
    const edge = await startEdge({ maxConnectionsPerClient: 3, firstByteTimeoutMs: 10_000 });
    const held = await Promise.all([1, 2, 3].map(() => rawConnect(edge.port)));
    try {
      const fourth = await rawConnect(edge.port);
      const { closedAfter } = await untilClosed(fourth, 2_000);
      expect(closedAfter, "a fourth connection from one address was accepted").toBeDefined();

      const other = await fetchFrom(edge.port, "127.0.0.2", "/healthz");
      expect(other).toMatch(/^HTTP\/1\.1 200 /);

      // A held connection closing gives its place back.
      held.pop()?.destroy();
      await sleep(100);
      expect(await fetchFrom(edge.port, "127.0.0.1", "/healthz")).toMatch(/^HTTP\/1\.1 200 /);
    } finally {
      for (const socket of held) socket.destroy();
    }
  });
});

/** One HTTP/1.1 request over a raw socket from `localAddress`: the raw response. */
async function fetchFrom(port: number, localAddress: string, path: string, headers: string[] = []): Promise<string> {
  const socket = await rawConnect(port, localAddress);
  const done = untilClosed(socket, 5_000);
  socket.write([`GET ${path} HTTP/1.1`, "Host: edge", "Connection: close", ...headers, "", ""].join("\r\n"));
  return (await done).data;
}

/** The status of a GET through the edge with the given headers. */
async function statusOf(port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  await response.arrayBuffer();
  return response.status;
}

describe("client identity at the edge", () => {
  it("with no trusted proxy, a spoofed X-Forwarded-For does not buy a new bucket", async () => {
    const edge = await startEdge({ ipBurst: 2, ipRatePerSecond: 1 });
    const statuses = [];
    for (const forged of ["198.51.100.1", "198.51.100.2", "198.51.100.3", "2001:db8::9"]) {
      statuses.push(await statusOf(edge.port, "/v1/products", { "x-forwarded-for": forged }));
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
  });

  it("with one trusted proxy, the entry it appended decides the bucket; entries left of it do not", async () => {
    const edge = await startEdge({ ipBurst: 2, ipRatePerSecond: 1, trustedProxies: 1 });
    const as = (chain: string) => statusOf(edge.port, "/v1/products", { "x-forwarded-for": chain });
    expect(await as("203.0.113.5")).toBe(200);
    expect(await as("1.1.1.1, 203.0.113.5")).toBe(200);
    expect(await as("8.8.8.8, 203.0.113.5")).toBe(429); // the forged left entry changed nothing
    expect(await as("203.0.113.6")).toBe(200); // another client, another bucket
    expect(await statusOf(edge.port, "/v1/products")).toBe(200); // no header: the proxy's own address
  });

  it("counts IPv6 clients by /64 and IPv4-mapped IPv6 as IPv4", async () => {
    const edge = await startEdge({ ipBurst: 2, ipRatePerSecond: 1, trustedProxies: 1 });
    const as = (address: string) => statusOf(edge.port, "/v1/products", { "x-forwarded-for": address });
    expect(await as("2001:db8:1:2::1")).toBe(200);
    expect(await as("2001:db8:1:2:ffff:ffff:ffff:fffe")).toBe(200);
    expect(await as("[2001:db8:1:2::77]:4711")).toBe(429); // same /64
    expect(await as("2001:db8:1:3::1")).toBe(200); // the neighbouring /64
    expect(await as("203.0.113.9")).toBe(200);
    expect(await as("::ffff:203.0.113.9")).toBe(200);
    expect(await as("203.0.113.9")).toBe(429);
  });

  it("reads RFC 7239 Forwarded when told to, and ignores X-Forwarded-For then", async () => {
    const edge = await startEdge({ ipBurst: 1, ipRatePerSecond: 1, trustedProxies: 1, forwardedHeader: "forwarded" });
    const as = (forwarded: string, xff = "192.0.2.1") =>
      statusOf(edge.port, "/v1/products", { forwarded, "x-forwarded-for": xff });
    expect(await as('for="[2001:db8:cafe::17]:4711";proto=https')).toBe(200);
    expect(await as('for=unknown, for="[2001:db8:cafe::99]"', "192.0.2.2")).toBe(429);
    expect(await as('garbage"", for=192.0.2.60;by=203.0.113.43')).toBe(200);
    expect(await as("for=192.0.2.60")).toBe(429);
  });

  it("counts HTTP/2 clients by their address too, not in one shared bucket", async () => {
    const edge = await startEdge({ ipBurst: 2, ipRatePerSecond: 1 });
    expect(await statusOf(edge.port, "/v1/products")).toBe(200);
    expect(await statusOf(edge.port, "/v1/products")).toBe(200);
    const session = connectHttp2(`http://127.0.0.1:${edge.port}`);
    session.on("error", () => {});
    try {
      const stream = session.request({ ":path": "/v1/products" });
      const status = await new Promise<number>((resolve) =>
        stream.once("response", (h) => resolve(Number(h[":status"]))),
      );
      stream.resume();
      expect(status).toBe(429);
    } finally {
      session.destroy();
    }
  });
});

describe("/readyz", () => {
  it("is rate-limited and answers only ready or not, naming no upstream or address", async () => {
    const edge = await startEdge({ ipBurst: 3, ipRatePerSecond: 1 });
    const bodies: string[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`http://127.0.0.1:${edge.port}/readyz`);
      statuses.push(response.status);
      bodies.push(await response.text());
    }
    expect(statuses).toEqual([503, 503, 503, 429]);
    for (const body of bodies.slice(0, 3)) expect(JSON.parse(body)).toEqual({ ready: false });
    expect(bodies.join("\n")).not.toMatch(/127\.0\.0\.1|:\d{2,5}\b|Service/);
  });
});

describe("login backoff decided by identity", () => {
  it("reaches REST clients as 429 with Retry-After from RetryInfo", async () => {
    const edge = await startEdge({});
    const response = await fetch(`http://127.0.0.1:${edge.port}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: throttledEmail, password: "whatever-it-is" }),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe(String(throttledRetrySeconds));
    const status = (await response.json()) as {
      code: number;
      details: Array<{ "@type": string; retryDelay?: string }>;
    };
    expect(status.code).toBe(8);
    expect(status.details).toContainEqual({
      "@type": "type.googleapis.com/google.rpc.RetryInfo",
      retryDelay: `${throttledRetrySeconds}s`,
    });
  });

  it("reaches Connect clients as RESOURCE_EXHAUSTED with Retry-After", async () => {
    const edge = await startEdge({});
    const client = createClient(
      IdentityService,
      createConnectTransport({ baseUrl: `http://127.0.0.1:${edge.port}`, httpVersion: "1.1" }),
    );
    const error = await client.login({ email: throttledEmail, password: "whatever-it-is" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(ConnectCode.ResourceExhausted);
    expect((error as ConnectError).metadata.get("retry-after")).toBe(String(throttledRetrySeconds));
  });
});
