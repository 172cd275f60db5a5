import type { DescMethod } from "@bufbuild/protobuf";
import { Metadata } from "@grpc/grpc-js";
import type { EndUser, TokenVerifier } from "@weft/mesh";
import { allowsAnonymous } from "@weft/mesh/contracts";

/**
 * Verifies the caller's access token at the edge. Public RPCs need none (one that is sent anyway
 * is still verified, so a bad token is never silently ignored); every other RPC needs a valid
 * one: missing, expired, wrongly signed, wrong issuer or audience, or alg `none` → UNAUTHENTICATED.
 */
export class EdgeAuthenticator {
  constructor(private readonly verifier: TokenVerifier) {}

  async authenticate(method: DescMethod, authorization: string | null | undefined): Promise<EndUser | undefined> {
    if (!authorization && allowsAnonymous(method)) return undefined;
    const metadata = new Metadata();
    if (authorization) metadata.set("authorization", authorization);
    return this.verifier.userOf({ metadata });
  }
}
