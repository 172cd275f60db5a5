import { Code, errorWithReason, type RpcError } from "../rpc/errors.ts";

/**
 * The status a database failure deserves, by its SQLSTATE (also when drizzle wraps it): a value
 * the database refuses is the request's fault, a broken constraint is a precondition, a conflict
 * with a concurrent transaction may be retried, an unreachable database is UNAVAILABLE. Undefined for anything else (a bug stays INTERNAL).
 *
 * The caller sees only the class of the problem and a stable ErrorInfo reason, with the
 * SQLSTATE in its metadata — never the database's message, which names tables and values.
 */
export function statusOfDatabaseError(error: unknown): RpcError | undefined {
  for (let cause = error, depth = 0; isObject(cause) && depth < 5; cause = cause.cause, depth++) {
    const sqlState = sqlStateOf(cause);
    if (sqlState !== undefined) return statusOfSqlState(sqlState);
    if (typeof cause.code === "string" && connectionFailures.has(cause.code)) {
      return errorWithReason(Code.UNAVAILABLE, "DATABASE_UNAVAILABLE", "the database is unreachable, try again");
    }
  }
  return undefined;
}

/** What each SQLSTATE class (its first two characters) means for the caller. */
function statusOfSqlState(sqlState: string): RpcError | undefined {
  const metadata = { sqlstate: sqlState };
  const answer = (code: Code, reason: string, message: string) => errorWithReason(code, reason, message, { metadata });
  switch (sqlState) {
    case "23505":
      return answer(Code.ALREADY_EXISTS, "ALREADY_EXISTS", "a record with these values already exists");
    case "40001":
    case "40P01":
      return answer(Code.ABORTED, "TRANSACTION_CONFLICT", "the request conflicted with a concurrent change, try again");
    case "57014":
      return answer(Code.DEADLINE_EXCEEDED, "QUERY_CANCELED", "the database query was cancelled");
    case "57P01":
    case "57P02":
    case "57P03":
      return answer(Code.UNAVAILABLE, "DATABASE_UNAVAILABLE", "the database is unavailable, try again");
  }
  switch (sqlState.slice(0, 2)) {
    // Data exception: a value out of range, text with a NUL, a malformed number or date.
    case "22":
      return answer(Code.INVALID_ARGUMENT, "INVALID_VALUE", "the request holds a value that cannot be stored");
    // Integrity constraint violation not handled by the service: foreign key, check, not-null.
    case "23":
      return answer(
        Code.FAILED_PRECONDITION,
        "CONSTRAINT_VIOLATION",
        "the request conflicts with the state of the stored data",
      );
    // Connection exception, insufficient resources (too many connections, disk full).
    case "08":
    case "53":
      return answer(Code.UNAVAILABLE, "DATABASE_UNAVAILABLE", "the database is unavailable, try again");
  }
  return undefined;
}

/** How postgres.js and Node report a connection that failed or broke (not a SQLSTATE). */
const connectionFailures = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
]);

/** A server error from either driver carries the SQLSTATE in `code` and a `severity`. */
function sqlStateOf(error: Readonly<Record<string, unknown>>): string | undefined {
  const { code, severity } = error;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && typeof severity === "string" ? code : undefined;
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null;
}
