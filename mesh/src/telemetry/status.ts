import { status } from "@grpc/grpc-js";

/** The canonical name of a gRPC status code ("OK", "NOT_FOUND"), or the number for codes outside the spec. */
export function statusName(code: number): string {
  return status[code] ?? String(code);
}
