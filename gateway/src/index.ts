// @weft/gateway: the REST/JSON ⇄ protobuf transcoder the Connect edge serves REST with.
export { decodeRestRequest } from "./transcode/decode-request.ts";
export { encodeRestResponse, responseJsonOptions } from "./transcode/encode-response.ts";
export { encodeNdjsonStream, ndjsonContentType, ndjsonErrorLine, ndjsonLine } from "./transcode/ndjson.ts";
export { createTranscodeRegistry } from "./transcode/registry.ts";
export type { PathBinding, RestRoute } from "./transcode/rest-route.ts";
export type { MethodNotAllowed, RouteMatch } from "./transcode/router.ts";
export { RestRouter } from "./transcode/router.ts";
export type { HttpError } from "./transcode/status.ts";
export { httpStatusOf, statusToJson } from "./transcode/status.ts";
