import {
  create,
  createRegistry,
  type DescMessage,
  fromBinary,
  type Message,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { type Any, AnySchema, anyPack, anyUnpack } from "@bufbuild/protobuf/wkt";
import { status as Code, Metadata, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import {
  BadRequest_FieldViolationSchema,
  BadRequestSchema,
  ErrorInfoSchema,
  file_google_rpc_error_details,
} from "../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../gen/google/rpc/status_pb.js";

export { Code };

/** The trailer gRPC uses to carry a binary google.rpc.Status with error details. */
export const statusDetailsKey = "grpc-status-details-bin";

/** The standard google.rpc detail messages; the only ones packed and unpacked by name. */
const detailRegistry = createRegistry(file_google_rpc_error_details);

export interface RpcErrorOptions {
  /** google.rpc detail messages (BadRequest, ErrorInfo, RetryInfo, ...). */
  details?: readonly Message[];
  /** Extra trailers to send with the status. */
  metadata?: Metadata;
  cause?: unknown;
}

/**
 * An error with a gRPC status code, a message safe to show the caller, and google.rpc details.
 * Handlers throw it to answer with that status; clients receive it for every failed call.
 */
export class RpcError extends Error {
  override readonly name = "RpcError";
  readonly code: Code;
  /** The message without the code prefix. */
  readonly rawMessage: string;
  readonly details: readonly Message[];
  readonly metadata: Metadata;

  constructor(code: Code, message: string, options: RpcErrorOptions = {}) {
    super(`${Code[code] ?? code}: ${message}`, { cause: options.cause });
    this.code = code;
    this.rawMessage = message;
    this.details = options.details ?? [];
    this.metadata = options.metadata ?? new Metadata();
  }

  /** The first detail of the given type, if the error carries one. */
  findDetail<Desc extends DescMessage>(schema: Desc): MessageShape<Desc> | undefined {
    return this.details.find((d): d is MessageShape<Desc> => d.$typeName === schema.typeName);
  }

  /** Field violations of a BadRequest detail, as `{ field, description }` pairs. */
  get fieldViolations(): { field: string; description: string }[] {
    return (this.findDetail(BadRequestSchema)?.fieldViolations ?? []).map(({ field, description }) => ({
      field,
      description,
    }));
  }

  /** The stable machine-readable reason of an ErrorInfo detail, such as `INSUFFICIENT_STOCK`. */
  get reason(): string | undefined {
    return this.findDetail(ErrorInfoSchema)?.reason;
  }

  /** Any thrown value as an RpcError: itself if it is one, else INTERNAL with the value as cause. */
  static from(error: unknown): RpcError {
    if (error instanceof RpcError) return error;
    return new RpcError(Code.INTERNAL, "internal error", { cause: error });
  }

  /** Turns what a client call rejected with into an RpcError, decoding status details. */
  static fromServiceError(error: ServiceError): RpcError {
    const raw = error.metadata?.get(statusDetailsKey)[0];
    const details = raw instanceof Buffer ? decodeDetails(raw) : [];
    return new RpcError(error.code, error.details, { details, metadata: error.metadata, cause: error });
  }

  /** The status object grpc-js sends for this error, details packed into the status trailer. */
  toStatus(): StatusObject {
    const metadata = this.metadata.clone();
    if (this.details.length > 0) {
      const status = create(StatusSchema, {
        code: this.code,
        message: this.rawMessage,
        details: this.details.map(packDetail),
      });
      metadata.set(statusDetailsKey, Buffer.from(toBinary(StatusSchema, status)));
    }
    return { code: this.code, details: this.rawMessage, metadata };
  }
}

export interface FieldViolation {
  /** The field path in the request, in proto names: `items[0].quantity`. */
  field: string;
  description: string;
}

/** INVALID_ARGUMENT with a google.rpc.BadRequest listing every violation. */
export function invalidArgument(violations: readonly FieldViolation[], message = "invalid request"): RpcError {
  const badRequest = create(BadRequestSchema, {
    fieldViolations: violations.map((v) => create(BadRequest_FieldViolationSchema, v)),
  });
  const summary = violations.map((v) => `${v.field}: ${v.description}`).join("; ");
  return new RpcError(Code.INVALID_ARGUMENT, summary ? `${message}: ${summary}` : message, { details: [badRequest] });
}

/** An error with a google.rpc.ErrorInfo carrying a stable reason (e.g. INSUFFICIENT_STOCK). */
export function errorWithReason(
  code: Code,
  reason: string,
  message: string,
  options: { domain?: string; metadata?: Record<string, string> } = {},
): RpcError {
  const info = create(ErrorInfoSchema, {
    reason,
    domain: options.domain ?? "weft.dev",
    metadata: options.metadata ?? {},
  });
  return new RpcError(code, message, { details: [info] });
}

function packDetail(detail: Message): Any {
  const schema = detailRegistry.getMessage(detail.$typeName);
  if (schema === undefined) {
    throw new TypeError(`RpcError detail ${detail.$typeName} is not a google.rpc error detail`);
  }
  return anyPack(schema, detail);
}

function decodeDetails(bytes: Buffer): Message[] {
  try {
    const status = fromBinary(StatusSchema, bytes);
    return status.details.map((any) => anyUnpack(any, detailRegistry) ?? any);
  } catch {
    // A peer sent a malformed trailer: the code and message still stand.
    return [];
  }
}

/** Whether the value is an Any that could not be unpacked (an unknown detail type). */
export function isUnknownDetail(detail: Message): detail is Any {
  return detail.$typeName === AnySchema.typeName;
}
