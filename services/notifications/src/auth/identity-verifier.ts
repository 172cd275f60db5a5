import { toJson } from "@bufbuild/protobuf";
import { GetJwksResponseSchema } from "@weft/gen/shop/identity/v1/identity_pb.js";
import { IdentityServiceBinding } from "@weft/gen/shop/identity/v1/identity_weft.js";
import { type Mesh, TokenVerifier } from "@weft/mesh";
import type { JSONWebKeySet } from "jose";
import type { NotificationsSettings } from "../settings.ts";

/**
 * Verifies end users' access tokens with the keys the identity service publishes (GetJwks over
 * the mesh). The proto3 JSON of GetJwksResponse is a JWKS: the Jwk fields' JSON names are the
 * JWK member names.
 */
export function identityTokenVerifier(mesh: Mesh, settings: NotificationsSettings): TokenVerifier {
  const identity = mesh.connect(IdentityServiceBinding, { target: settings.identityAddr, name: "identity" });
  return new TokenVerifier({
    issuer: settings.jwtIssuer,
    audience: settings.jwtAudience,
    fetchJwks: async () => toJson(GetJwksResponseSchema, await identity.getJwks({})) as unknown as JSONWebKeySet,
  });
}
