// @weft/mesh/contracts: what Weft reads from an app's contracts, with the generated code of the
// protos it relies on (google.rpc, google.api's http rule, weft.api.v1's access options). mesh
// generates these into its own ignored src/gen/ (mesh/buf.gen.yaml), so it never imports an app's gen/.
import { type DescMethod, getOption, hasOption } from "@bufbuild/protobuf";
import { http } from "../gen/google/api/annotations_pb.js";
import { allow_anonymous as allowAnonymousOption } from "../gen/weft/api/v1/access_pb.js";

export { file_google_api_annotations, http } from "../gen/google/api/annotations_pb.js";
export type { HttpRule } from "../gen/google/api/http_pb.js";
export { HttpRuleSchema } from "../gen/google/api/http_pb.js";
export { file_google_rpc_code } from "../gen/google/rpc/code_pb.js";
export * from "../gen/google/rpc/error_details_pb.js";
export * from "../gen/google/rpc/status_pb.js";
export { allow_anonymous, file_weft_api_v1_access } from "../gen/weft/api/v1/access_pb.js";

/** Public means reachable at the edge: the RPC carries a google.api.http rule. */
export function isEdgeRpc(method: DescMethod): boolean {
  return hasOption(method, http);
}

/**
 * Whether anyone may call the RPC without an access token. The contract declares it
 * (`option (weft.api.v1.allow_anonymous) = true`), so REST, Connect, gRPC-Web, gRPC and the
 * OpenAPI document all follow one source and no route can be public by accident.
 */
export function allowsAnonymous(method: DescMethod): boolean {
  return getOption(method, allowAnonymousOption);
}
