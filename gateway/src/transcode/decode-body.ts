// The HTTP body → request message, per the rule's `body`: "" (no body), "*" (the whole request)
// or a top-level field name (that field only, a message, repeated or scalar field alike).
import { type JsonValue, type Message, mergeFromJsonString, type Registry } from "@bufbuild/protobuf";
import type { FieldViolation } from "@weft/mesh";
import { describeJsonError, locateJsonViolation } from "./json-violation.ts";
import type { RestRoute } from "./rest-route.ts";

/** How violations about the body as a whole name it: the rule's own spelling of "the whole request". */
const wholeBody = "*";

/** Merges the body into `message`; returns what was wrong with it (nothing when empty). */
export function decodeBody(
  route: RestRoute,
  message: Message,
  body: string | undefined,
  registry: Registry | undefined,
): FieldViolation[] {
  // An empty body is an empty message (or an unset body field), as grpc-gateway and Envoy treat it.
  if (body === undefined || body.trim() === "") return [];
  const target = route.bodyField?.name ?? wholeBody;
  if (route.body === "") {
    return [{ field: wholeBody, description: `${route.httpMethod} ${route.pattern} takes no request body` }];
  }
  let json: JsonValue;
  try {
    json = JSON.parse(body);
  } catch (error) {
    return [{ field: target, description: `malformed JSON: ${describeJsonError(error)}` }];
  }
  // The text parsed as exactly one JSON value, so wrapping it textually is safe, and lets
  // protobuf-es's string parser reject duplicate keys that JSON.parse would silently collapse.
  const bodyField = route.bodyField;
  const wrapped = bodyField === undefined ? body : `{${JSON.stringify(bodyField.name)}:${body}}`;
  const schema = route.method.input;
  try {
    mergeFromJsonString(schema, message, wrapped, { registry });
    return [];
  } catch (error) {
    const root: JsonValue = bodyField === undefined ? json : { [bodyField.name]: json };
    const located = locateJsonViolation(schema, root, "", registry);
    const field = located === undefined || located.field === "" ? target : located.field;
    return [{ field, description: located?.description ?? describeJsonError(error) }];
  }
}
