import { Server, type ServerCredentials, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import { statusOfDatabaseError } from "../data/errors.ts";
import type { PeerCall } from "../identity/index.ts";
import { type MethodInfo, methodsOf, type ServiceBinding } from "../rpc/binding.ts";
import { type ImplementOptions, implement } from "../rpc/implement.ts";
import type { Logger, RpcMetrics } from "../telemetry/index.ts";
import type { Authorization } from "./authorization.ts";
import { callGate } from "./call-gate.ts";
import { reflectionFor } from "./reflection.ts";

/** A service and its handlers, typed against each other by the generated binding. */
export interface ServiceImplementation {
  readonly binding: ServiceBinding<unknown, unknown>;
  readonly handlers: unknown;
}

/** Pairs a generated binding with handlers of the generated interface. */
export function provide<Handlers, Client>(
  binding: ServiceBinding<Handlers, Client>,
  handlers: Handlers,
): ServiceImplementation {
  return { binding, handlers };
}

export interface ServeOptions {
  services: readonly ServiceImplementation[];
  credentials: ServerCredentials;
  host: string;
  port: number;
  /** The workload's policies, enforced at the call gate; undefined where nothing is enforced. */
  authorization: Authorization | undefined;
  metrics: RpcMetrics;
  principalOf: (call: PeerCall) => string | undefined;
  authenticate?: ImplementOptions["authenticate"];
  serverTimeoutMs: number;
  maxMessageBytes: number;
  drainDelayMs: number;
  shutdownGraceMs: number;
  logger: Logger;
}

/** A running gRPC server with health and reflection. */
export interface MeshServer {
  /** The bound port (useful when 0 asked for a free one). */
  readonly port: number;
  /** Marks every served service SERVING or NOT_SERVING in the health service. */
  setServing(serving: boolean): void;
  /**
   * Graceful stop: NOT_SERVING, wait drainDelayMs, refuse new calls and let in-flight ones
   * finish within shutdownGraceMs, then cut the rest off (their signals abort) and close.
   */
  shutdown(): Promise<void>;
}

export async function startServer(options: ServeOptions): Promise<MeshServer> {
  const shutdownController = new AbortController();
  const guarded = new Map<string, MethodInfo>();
  for (const { binding } of options.services)
    for (const [, method] of methodsOf(binding)) guarded.set(method.path, method);
  const server = new Server({
    // Every call of the services (not health or reflection) passes the gate when its headers arrive.
    interceptors: [
      callGate({
        methods: guarded,
        principalOf: options.principalOf,
        authorization: options.authorization,
        defaultDeadlineMs: options.serverTimeoutMs,
        shutdownSignal: shutdownController.signal,
        logger: options.logger,
        metrics: options.metrics,
      }),
    ],
    "grpc.max_receive_message_length": options.maxMessageBytes,
    "grpc.max_send_message_length": options.maxMessageBytes,
    // Ping idle clients so half-open connections are found; allow clients' keepalive pings.
    "grpc.keepalive_time_ms": 60_000,
    "grpc.keepalive_timeout_ms": 20_000,
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 10_000,
  });
  const implementOptions: ImplementOptions = {
    principalOf: options.principalOf,
    defaultDeadlineMs: options.serverTimeoutMs,
    shutdownSignal: shutdownController.signal,
    authenticate: options.authenticate,
    // A database refusing what the request carried is the caller's fault, not INTERNAL.
    translateError: statusOfDatabaseError,
    onUnexpectedError: (error, method) => options.logger.error({ err: error, rpc: method.path }, "handler failed"),
  };
  const names = options.services.map((s) => s.binding.desc.typeName);
  for (const { binding, handlers } of options.services) {
    const implementation: UntypedServiceImplementation = implement(binding, handlers, implementOptions);
    server.addService(binding.definition, implementation);
  }
  const health = new HealthImplementation(Object.fromEntries(["", ...names].map((n) => [n, "NOT_SERVING" as const])));
  health.addToServer(server);
  reflectionFor(options.services.map((s) => s.binding)).addToServer(server);

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host}:${options.port}`, options.credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  ).catch((error: unknown) => {
    // Nothing was served: leave nothing behind either (health, reflection, the server's timers).
    server.forceShutdown();
    throw bindFailure(error, options.host, options.port);
  });
  const setServing = (serving: boolean) => {
    for (const name of ["", ...names]) health.setStatus(name, serving ? "SERVING" : "NOT_SERVING");
  };
  setServing(true);

  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      setServing(false);
      options.logger.info({ drain_delay_ms: options.drainDelayMs }, "draining: health is NOT_SERVING");
      await sleep(options.drainDelayMs);
      const graceful = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      const expired = sleep(options.shutdownGraceMs).then(() => "expired" as const);
      if ((await Promise.race([graceful, expired])) === "expired") {
        options.logger.warn({ grace_ms: options.shutdownGraceMs }, "grace period over: cutting off in-flight calls");
        shutdownController.abort();
        server.forceShutdown();
      }
      options.logger.info("server stopped");
    })();
    return stopping;
  };
  return { port, setServing, shutdown };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * grpc-js reports a port it could not bind as "No address added out of total 1 resolved" (the
 * cause, EADDRINUSE, is only in its debug log): the one case a user hits, said with its fix.
 */
function bindFailure(error: unknown, host: string, port: number): unknown {
  if (!(error instanceof Error) || !/No address added/.test(error.message) || port === 0) return error;
  return new Error(
    `could not listen on ${host}:${port} (${error.message}): the port is most likely in use — stop what listens there, or set GRPC_PORT to another`,
    { cause: error },
  );
}
