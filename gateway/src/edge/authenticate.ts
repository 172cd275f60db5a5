import type { DescMethod } from "@bufbuild/protobuf";
import { Code, type EndUser, RpcError, type TokenVerifier } from "@weft/mesh";
import { allowsAnonymous } from "@weft/mesh/contracts";

/**
 * Verifies the caller's access token at the edge. Public RPCs need none (one that is sent anyway
 * is still verified, so a bad token is never silently ignored); every other RPC needs a valid
 * one: missing, expired, wrongly signed, wrong issuer or audience, or alg `none` → UNAUTHENTICATED.
 * An app without `edge.auth` in weft.app.yaml has no verifier: only public RPCs can be called.
 */
export class EdgeAuthenticator {
  /** Reading a method option builds an extension container each time: read once per method. */
  private readonly anonymous = new WeakMap<DescMethod, boolean>();

  constructor(private readonly verifier: TokenVerifier | undefined) {}

  /**
   * Whether this call goes on without a user and without verifying anything: a public RPC called
   * with no token. Lets a caller skip the promise `authenticate` would be.
   */
  isAnonymous(method: DescMethod, authorization: string | null | undefined): boolean {
    return !authorization && this.allowsAnonymous(method);
  }

  async authenticate(method: DescMethod, authorization: string | null | undefined): Promise<EndUser | undefined> {
    if (this.isAnonymous(method, authorization)) return undefined;
    if (this.verifier === undefined) {
      throw new RpcError(
        Code.UNAUTHENTICATED,
        authorization
          ? "this app verifies no access tokens (weft.app.yaml has no edge.auth)"
          : "this RPC needs an access token, and this app issues none (weft.app.yaml has no edge.auth)",
      );
    }
    const user = await this.verifier.authenticate(authorization ?? undefined);
    if (user === undefined) throw new RpcError(Code.UNAUTHENTICATED, "a bearer access token is required");
    return user;
  }

  private allowsAnonymous(method: DescMethod): boolean {
    let allowed = this.anonymous.get(method);
    if (allowed === undefined) {
      allowed = allowsAnonymous(method);
      this.anonymous.set(method, allowed);
    }
    return allowed;
  }
}
