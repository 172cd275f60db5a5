import { create, type Message, type Registry } from "@bufbuild/protobuf";
import { invalidArgument } from "@weft/mesh";
import { decodeBody } from "./decode-body.ts";
import { decodePath } from "./decode-path.ts";
import { decodeQuery } from "./decode-query.ts";
import type { RouteMatch } from "./router.ts";

/**
 * Builds the request message of a matched REST call from its body, query string and path.
 *
 * Throws only an RpcError INVALID_ARGUMENT with a google.rpc.BadRequest listing every problem
 * found (body, query and path are all checked, so a client sees them at once). Violations name
 * fields by proto path (`thing.display_name`, `items[0].quantity`); an unknown query key is named
 * as sent; `*` stands for the body as a whole. Pass the registry from createTranscodeRegistry so
 * `google.protobuf.Any` values in bodies can be read.
 */
export function decodeRestRequest(
  match: RouteMatch,
  query: URLSearchParams,
  body: string | undefined,
  registry?: Registry,
): Message {
  const message = create(match.route.method.input);
  const violations = decodeBody(match.route, message, body, registry);
  // Most requests have no query: nothing to group, convert or merge.
  if (query.size > 0) violations.push(...decodeQuery(match.route, message, query, registry));
  violations.push(...decodePath(match, message, registry));
  if (violations.length > 0) throw invalidArgument(violations);
  return message;
}
