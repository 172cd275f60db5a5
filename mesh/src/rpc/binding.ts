import type { DescService } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel as IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { Metadata, ServiceDefinition } from "@grpc/grpc-js";

/**
 * A service as generated code hands it to the runtime: its protobuf descriptor, its grpc-js
 * definition, and (as phantom types) the handler and client interfaces generated for it.
 */
export interface ServiceBinding<Handlers, Client> {
  readonly desc: DescService;
  readonly definition: ServiceDefinition;
  /** Never set: carries the generated interfaces so `implement` and `createClient` are typed. */
  readonly types?: { handlers: Handlers; client: Client };
}

/** Which RPC a call is: what interceptors, policies and metrics key on. */
export interface MethodInfo {
  /** The gRPC path, `/pkg.Service/Method`: what Istio AuthorizationPolicies match. */
  readonly path: string;
  /** The fully qualified service name, `pkg.Service`. */
  readonly service: string;
  /** The method name as written in the proto, `Method`. */
  readonly name: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  /** Declared free of side effects or idempotent (`option idempotency_level`): safe to retry. */
  readonly idempotent: boolean;
  /** The request field that carries an idempotency key, if the request has one (`idempotencyKey`). */
  readonly idempotencyKeyField: string | undefined;
}

/** The end user a call is made for, as a verified access token says. */
export interface EndUser {
  /** The token's `sub`. */
  readonly id: string;
  /** The token's `role` claim; "" when it has none. */
  readonly role: string;
  readonly email: string | undefined;
  /** Every claim of the token. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** What a handler knows about the call it serves, besides the request. */
export interface CallContext {
  readonly method: MethodInfo;
  /** Aborted when the caller cancels, the deadline passes or the server shuts down. */
  readonly signal: AbortSignal;
  /** When the caller stops waiting; undefined when the caller set no deadline. */
  readonly deadline: Date | undefined;
  /** The request headers. */
  readonly metadata: Metadata;
  /** Correlates logs across hops: the caller's `x-request-id`, or one made up for this call. */
  readonly requestId: string;
  /** The transport address of the peer (`ipv4:127.0.0.1:50123`). */
  readonly peerAddress: string;
  /**
   * The verified workload identity of the peer (`cluster.local/ns/example/sa/billing`), when the
   * transport authenticated one; undefined on an unauthenticated connection.
   */
  readonly principal: string | undefined;
  /** Trailers to send with the response. */
  readonly responseTrailers: Metadata;
  /**
   * The end user the call is made for, from its `authorization: Bearer …` access token, verified
   * against the app's token issuer (weft.app.yaml `edge.auth`) the first time it is asked for:
   * undefined without a token; UNAUTHENTICATED for a token that does not verify (or when the app
   * verifies none); UNAVAILABLE when the issuer's keys cannot be fetched. `requireUser` refuses
   * a call without one.
   */
  user(): Promise<EndUser | undefined>;
}

/** Per-call options of a generated client method. */
export interface CallOptions {
  /** Time budget for this call in ms; the transport's default applies when neither this nor deadline is set. */
  timeoutMs?: number;
  /** Absolute deadline; wins over timeoutMs. */
  deadline?: Date;
  /** Aborting it cancels the call (CANCELLED). */
  signal?: AbortSignal;
  /** Request headers to send. */
  metadata?: Metadata | Record<string, string>;
  /** Called with the response headers when they arrive. */
  onHeader?: (headers: Metadata) => void;
}

/** The name of the request field that, when set, makes a mutating call safe to retry. */
const idempotencyKeyName = "idempotency_key";

/** Every method of a binding with what the runtime needs to know about it, keyed as in the definition. */
export function methodsOf(binding: ServiceBinding<unknown, unknown>): Array<[key: string, method: MethodInfo]> {
  return Object.entries(binding.definition).map(([key, def]) => {
    const slash = def.path.lastIndexOf("/");
    const desc = binding.desc.method[key];
    const keyField = desc?.input.fields.find((f) => f.name === idempotencyKeyName && f.fieldKind === "scalar");
    return [
      key,
      {
        path: def.path,
        service: def.path.slice(1, slash),
        name: def.path.slice(slash + 1),
        requestStream: def.requestStream,
        responseStream: def.responseStream,
        idempotent:
          desc?.idempotency === IdempotencyLevel.NO_SIDE_EFFECTS || desc?.idempotency === IdempotencyLevel.IDEMPOTENT,
        idempotencyKeyField: keyField?.localName,
      },
    ];
  });
}
