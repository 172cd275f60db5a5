import { toJson } from "@bufbuild/protobuf";
import { GetJwksResponseSchema } from "@weft/gen/shop/identity/v1/identity_pb.js";
import { IdentityServiceBinding } from "@weft/gen/shop/identity/v1/identity_weft.js";
import { type Mesh, TokenVerifier } from "@weft/mesh";
import type { JSONWebKeySet } from "jose";

/**
 * Verifies end users' access tokens with the keys the identity service publishes (GetJwks over
 * the mesh). The proto3 JSON of GetJwksResponse is a JWKS: the Jwk fields' JSON names are the
 * JWK member names.
 */
export function identityTokenVerifier(
  mesh: Mesh,
  options: { identityAddr: string; jwtIssuer: string; jwtAudience: string },
): TokenVerifier {
  const identity = mesh.connect(IdentityServiceBinding, { target: options.identityAddr, name: "identity" });
  return new TokenVerifier({
    issuer: options.jwtIssuer,
    audience: options.jwtAudience,
    fetchJwks: async () => toJson(GetJwksResponseSchema, await identity.getJwks({})) as unknown as JSONWebKeySet,
  });
}
