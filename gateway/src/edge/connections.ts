import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from "node:http";
import {
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  constants as http2Constants,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from "node:http2";
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from "node:net";
import type { Duplex } from "node:stream";
import type { GatewaySettings } from "../config.ts";
import { clientKey, normaliseAddress } from "./client-address.ts";
import type { EdgeLog } from "./edge-log.ts";
import { WriteStallWatch } from "./write-stall.ts";

/**
 * The limits the edge puts on every connection (see README, "Edge limits"); documented where they
 * are read, in GatewaySettings. With trusted proxies in front, every connection comes from one of
 * them, so there is no per-peer cap.
 */
export type ConnectionLimits = Pick<
  GatewaySettings,
  | "host"
  | "port"
  | "firstByteTimeoutMs"
  | "headersTimeoutMs"
  | "requestTimeoutMs"
  | "keepAliveTimeoutMs"
  | "http2IdleTimeoutMs"
  | "http2MaxStreams"
  | "writeTimeoutMs"
  | "maxConnections"
  | "maxConnectionsPerClient"
  | "trustedProxies"
>;

/** The socket's peer: the client itself, or the nearest proxy when proxies are trusted. */
export interface Peer {
  address: string;
  /** The address as per-client limits count it (IPv6 by /64). */
  key: string;
}

export type EdgeRequest = IncomingMessage | Http2ServerRequest;
export type EdgeResponse = ServerResponse | Http2ServerResponse;
export type EdgeHandler = (request: EdgeRequest, response: EdgeResponse, peer: Peer) => void;

export interface EdgeListener {
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
  close(graceMs: number): Promise<void>;
}

/**
 * The edge's port: accepts TCP connections, enforces the per-connection limits, and hands each
 * connection to the HTTP/1.1 or the cleartext HTTP/2 server (prior knowledge, as gRPC clients
 * speak it) by its first bytes.
 *
 * The HTTP servers never listen themselves, so none of Node's own timeouts would run unless
 * started here: Node's header and request timeouts (a sweep over the parser's connection list,
 * answering 408) start when its server emits `listening`, which this module does for the HTTP/1.1
 * server; keep-alive uses Node's own timer. The first-byte timeout, the per-client cap, the
 * HTTP/2 session and stream timeouts and the write timeout are this module's.
 */
export async function listenEdge(limits: ConnectionLimits, handler: EdgeHandler, log: EdgeLog): Promise<EdgeListener> {
  const sockets = new Set<Socket>();
  const sessions = new Set<ServerHttp2Session>();
  const perClient = new Map<string, number>();
  /** HTTP/1.1 connections: the peer, and the exchange in progress so a timeout knows whether headers arrived. */
  const http1Connections = new WeakMap<object, Http1Connection>();
  const peerOfSession = new WeakMap<ServerHttp2Session, Peer>();
  const stalls = new WriteStallWatch(limits.writeTimeoutMs);

  const http1 = createHttp1Server(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks its header and request deadlines on this interval (30 s by default, which
      // would let a deadline slip by that much).
      connectionsCheckingInterval: Math.min(1_000, Math.max(25, Math.floor(limits.headersTimeoutMs / 4))),
    },
    (request, response) => {
      const connection = http1Connections.get(request.socket);
      if (connection === undefined) return void request.socket.destroy();
      // Per request only two fields change: no map entry and no listener per exchange.
      connection.request = request;
      connection.response = response;
      handler(request, response, connection.peer);
    },
  );
  // See above: this starts Node's sweep of header and request deadlines for emitted connections.
  http1.emit("listening");
  http1.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    const connection = http1Connections.get(socket);
    const peer = connection?.peer;
    const exchange = inProgress(connection);
    if (error.code === "ERR_HTTP_REQUEST_TIMEOUT") {
      const headersArrived = exchange !== undefined && !exchange.request.complete;
      log.report(
        headersArrived ? "request_timeout" : "headers_timeout",
        { client: peer?.address, timeout_ms: headersArrived ? limits.requestTimeoutMs : limits.headersTimeoutMs },
        headersArrived ? "request body not received in time: 408" : "request headers not received in time: 408",
      );
      return refuse(socket, exchange?.response, "408 Request Timeout");
    }
    if (error.code === "ECONNRESET" || error.code === "EPIPE") return void socket.destroy();
    log.report("bad_request", { client: peer?.address, code: error.code }, "malformed HTTP/1.1 request");
    refuse(
      socket,
      exchange?.response,
      error.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request",
    );
  });
  // Node arms the socket's timeout only for keep-alive (the server has no inactivity timeout).
  http1.on("timeout", (socket: Socket) => {
    log.report(
      "keepalive_timeout",
      { client: http1Connections.get(socket)?.peer.address },
      "idle keep-alive connection closed",
    );
    socket.destroy();
  });

  const http2 = createHttp2Server(
    { settings: { maxConcurrentStreams: limits.http2MaxStreams } },
    (request: Http2ServerRequest, response: Http2ServerResponse) => {
      const peer = peerOfSession.get(request.stream.session as ServerHttp2Session);
      if (peer === undefined) return void request.stream.close(http2Constants.NGHTTP2_REFUSED_STREAM);
      limitRequestTime(request, response, peer);
      handler(request, response, peer);
    },
  );
  /** Set while a connection is handed to the HTTP/2 server, which creates its session synchronously. */
  let arriving: Peer | undefined;
  http2.on("session", (session: ServerHttp2Session) => {
    const peer = arriving;
    arriving = undefined;
    if (peer === undefined) return void session.destroy();
    peerOfSession.set(session, peer);
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    closeWhenIdle(session, peer);
  });
  http2.on("stream", (stream: ServerHttp2Stream) => {
    stalls.watch(stream, () => {
      log.report(
        "write_timeout",
        { client: peerOfSession.get(stream.session as ServerHttp2Session)?.address, timeout_ms: limits.writeTimeoutMs },
        "client stopped reading an HTTP/2 stream: stream cut",
      );
      stream.close(http2Constants.NGHTTP2_CANCEL);
    });
  });

  /** HTTP/2: a stream's request body (its half of the stream) must end within the request timeout. */
  function limitRequestTime(request: Http2ServerRequest, response: Http2ServerResponse, peer: Peer): void {
    const stream = request.stream;
    if (stream.state.remoteClose === 1) return;
    const timer = setTimeout(() => {
      if (stream.destroyed || stream.state.remoteClose === 1) return;
      log.report(
        "request_timeout",
        { client: peer.address, timeout_ms: limits.requestTimeoutMs },
        "HTTP/2 request body not received in time: 408",
      );
      if (!response.headersSent) {
        response.writeHead(408, { "content-type": "application/json" });
        response.end(JSON.stringify({ code: 4, message: "request not received in time", details: [] }));
      }
      // A complete response, then RST_STREAM NO_ERROR: the client may stop sending (RFC 9113 §8.1).
      stream.close(http2Constants.NGHTTP2_NO_ERROR);
    }, limits.requestTimeoutMs);
    timer.unref();
    stream.once("close", () => clearTimeout(timer));
  }

  /**
   * HTTP/2: a session without open streams gets GOAWAY and is closed — after the idle timeout
   * once it has served a stream, and after the header timeout before its first: nghttp2 hands
   * over a stream only when its headers are complete, so a client dripping its first HEADERS
   * (slowloris over HTTP/2) is a session without streams.
   */
  function closeWhenIdle(session: ServerHttp2Session, peer: Peer): void {
    let open = 0;
    let served = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      const [event, timeoutMs, message] = served
        ? (["http2_idle_timeout", limits.http2IdleTimeoutMs, "idle HTTP/2 session closed"] as const)
        : (["headers_timeout", limits.headersTimeoutMs, "HTTP/2 session opened no stream in time: closed"] as const);
      timer = setTimeout(() => {
        log.report(event, { client: peer.address, timeout_ms: timeoutMs }, message);
        session.close();
        // A client that does not read cannot even take the GOAWAY: do not wait on it for long.
        setTimeout(() => session.destroy(), 1_000).unref();
      }, timeoutMs);
      timer.unref();
    };
    arm();
    session.on("stream", (stream: ServerHttp2Stream) => {
      open++;
      served = true;
      clearTimeout(timer);
      stream.once("close", () => {
        open--;
        if (open === 0 && !session.closed && !session.destroyed) arm();
      });
    });
    session.once("close", () => clearTimeout(timer));
  }

  function accept(socket: Socket): void {
    const address = normaliseAddress(socket.remoteAddress);
    if (address === undefined) return void socket.destroy();
    const peer: Peer = { address, key: clientKey(address) };
    if (limits.trustedProxies === 0) {
      const open = perClient.get(peer.key) ?? 0;
      if (open >= limits.maxConnectionsPerClient) {
        log.report(
          "client_limit",
          { client: peer.address, key: peer.key, limit: limits.maxConnectionsPerClient },
          "too many connections from one client: refused",
        );
        return void socket.destroy();
      }
      perClient.set(peer.key, open + 1);
      socket.once("close", () => {
        const left = (perClient.get(peer.key) ?? 1) - 1;
        if (left <= 0) perClient.delete(peer.key);
        else perClient.set(peer.key, left);
      });
    }
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    // Small RPC frames must leave at once, not wait for Nagle's algorithm to coalesce them.
    socket.setNoDelay(true);
    const firstByte = setTimeout(() => {
      log.report(
        "first_byte_timeout",
        { client: peer.address, timeout_ms: limits.firstByteTimeoutMs },
        "connection sent nothing in time: closed",
      );
      socket.destroy();
    }, limits.firstByteTimeoutMs);
    firstByte.unref();
    socket.once("close", () => clearTimeout(firstByte));
    // The connection as a whole: a client that reads nothing at all (HTTP/2 streams are also
    // watched one by one, so a single unread stream is cut without its siblings).
    stalls.watch(socket, () => {
      log.report(
        "write_timeout",
        { client: peer.address, timeout_ms: limits.writeTimeoutMs },
        "client stopped reading: connection cut",
      );
      socket.destroy();
    });
    socket.once("data", (first: Buffer) => {
      clearTimeout(firstByte);
      socket.pause();
      const prefix = first.subarray(0, Math.min(first.length, http2Preface.length));
      // The first bytes go back into the socket either way, and the server gets the socket itself,
      // so both read it natively: the HTTP/1.1 parser after its first `data`, an HTTP/2 session by
      // reading what is buffered on its first tick (so the socket stays paused for it).
      socket.unshift(first);
      if (prefix.equals(http2Preface.subarray(0, prefix.length))) {
        arriving = peer;
        http2.emit("connection", socket);
        if (arriving !== undefined) {
          arriving = undefined;
          socket.destroy();
        }
      } else {
        http1Connections.set(socket, { peer, request: undefined, response: undefined });
        http1.emit("connection", socket);
        socket.resume();
      }
    });
  }

  const tcp = createTcpServer(accept);
  tcp.maxConnections = limits.maxConnections;
  tcp.on("drop", (data) =>
    log.report(
      "connection_limit",
      { client: normaliseAddress(data?.remoteAddress), limit: limits.maxConnections },
      "the edge is at its connection limit: refused",
    ),
  );
  const port = await new Promise<number>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(limits.port, limits.host, () => {
      const address = tcp.address();
      resolve(typeof address === "object" && address !== null ? address.port : limits.port);
    });
  });

  return {
    port,
    async close(graceMs) {
      const closed = closeServer(tcp);
      http1.closeIdleConnections();
      http1.close(); // stops Node's deadline sweep; the server itself never listened
      for (const session of sessions) session.close(); // GOAWAY: no new streams, finish the open ones
      const timer = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
      stalls.stop();
    },
  };
}

/**
 * An HTTP/1.1 connection's peer and its latest exchange (kept past its end until the next one or
 * the keep-alive timeout: clearing it would take a listener on every response).
 */
interface Http1Connection {
  readonly peer: Peer;
  request: IncomingMessage | undefined;
  response: ServerResponse | undefined;
}

/** The connection's exchange while its response is not finished yet (between exchanges: none). */
function inProgress(
  connection: Http1Connection | undefined,
): { request: IncomingMessage; response: ServerResponse } | undefined {
  const { request, response } = connection ?? {};
  if (request === undefined || response === undefined || response.writableFinished) return undefined;
  return { request, response };
}

/** Answers an HTTP/1.1 connection the server will not serve, then closes it. */
function refuse(socket: Duplex, inFlight: ServerResponse | undefined, status: string): void {
  // A response already under way cannot be replaced without corrupting what the client reads.
  if (socket.writable && inFlight?.headersSent !== true) {
    socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }
  socket.destroy();
}

/** HTTP/2 with prior knowledge starts with this preface; anything else is HTTP/1.x. */
const http2Preface = Buffer.from("PRI * HTTP/2.0");

function closeServer(server: TcpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
