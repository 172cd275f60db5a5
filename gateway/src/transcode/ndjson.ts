// Server streaming over REST as NDJSON: one JSON object per line, each a response message encoded
// like a unary response (response_body applies), in `application/x-ndjson`. An error ends the
// stream with one last line `{"error": <google.rpc.Status JSON>}`, because the 200 status is long
// sent by then. A clean end is simply the end of the body. JSON.stringify escapes newlines inside
// strings, so a line break always separates messages.
import type { JsonValue, Message, Registry } from "@bufbuild/protobuf";
import { RpcError } from "@weft/mesh";
import { encodeRestResponse } from "./encode-response.ts";
import type { RestRoute } from "./rest-route.ts";
import { statusToJson } from "./status.ts";

export const ndjsonContentType = "application/x-ndjson";

/** One NDJSON line, newline included. */
export function ndjsonLine(value: JsonValue): string {
  return `${JSON.stringify(value)}\n`;
}

/** The final line of a stream that failed. */
export function ndjsonErrorLine(error: RpcError, registry: Registry): string {
  return ndjsonLine({ error: statusToJson(error, registry).body });
}

/**
 * The lines of a server stream. Whatever the responses throw becomes the error line (errors that
 * are not RpcErrors as INTERNAL, without their text), so the iterable itself never rejects.
 */
export async function* encodeNdjsonStream(
  route: RestRoute,
  responses: AsyncIterable<Message>,
  registry: Registry,
): AsyncGenerator<string, void, undefined> {
  try {
    for await (const response of responses) {
      yield ndjsonLine(encodeRestResponse(route, response, registry));
    }
  } catch (error) {
    yield ndjsonErrorLine(RpcError.from(error), registry);
  }
}
