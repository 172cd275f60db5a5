import { type DescMethod, getOption } from "@bufbuild/protobuf";
import { allow_anonymous as allowAnonymous } from "@weft/gen/weft/api/v1/access_pb.js";

/**
 * Whether anyone may call the RPC without an access token. The contract declares it
 * (`option (weft.api.v1.allow_anonymous) = true`), so REST, Connect, gRPC-Web, gRPC and the
 * OpenAPI document all follow one source and no route can be public by accident.
 */
export function allowsAnonymous(method: DescMethod): boolean {
  return getOption(method, allowAnonymous);
}
