// The app's token verifier, built from weft.app.yaml's `edge.auth`: the same one at the edge and
// in every service, so "who is the user" is decided one way everywhere.
import { create, type DescMethod, type Message, type Registry, toJson } from "@bufbuild/protobuf";
import type { JSONWebKeySet } from "jose";
import { type EdgeAuth, ManifestError, methodAt } from "../app/index.ts";
import { TokenVerifier, type VerifierLog } from "./token-verifier.ts";

/** Calls the RPC that publishes the keys: over the mesh, or in process when this workload serves it. */
export type JwksCall = (method: DescMethod, request: Message) => Promise<Message>;

export interface AppVerifierOptions {
  /** weft.app.yaml's `edge.auth`; undefined: the app verifies no tokens. */
  auth: EdgeAuth | undefined;
  /** The app's contracts (gen/weft.binpb), to find the JWKS method an `rpc` names. */
  contracts: () => Registry;
  call: JwksCall;
  /** Where failed and recovered key fetches are told (the workload's logger). */
  logger?: VerifierLog;
}

/**
 * The verifier of the app's access tokens, or undefined when the app has none (then only
 * `allow_anonymous` RPCs can be served to end users). Keys come from the `jwks.url` an OIDC
 * issuer publishes, or from the `jwks.rpc` of an app service: its proto3-JSON response is the
 * JWKS (a message whose `keys` are JWKs with the JWK member names as JSON names).
 */
export function appTokenVerifier(options: AppVerifierOptions): TokenVerifier | undefined {
  const auth = options.auth;
  if (auth === undefined) return undefined;
  const { issuer, audience } = auth;
  const logger = options.logger;
  if ("url" in auth.jwks) return new TokenVerifier({ issuer, audience, logger, keys: { jwksUrl: auth.jwks.url } });
  const path = `/${auth.jwks.rpc}`;
  const method = methodAt(options.contracts(), path);
  if (method === undefined) {
    throw new ManifestError(`weft.app.yaml: edge.auth.jwks.rpc: ${auth.jwks.rpc} is not an RPC in the protos`);
  }
  return new TokenVerifier({
    issuer,
    audience,
    logger,
    keys: {
      fetchJwks: async () => {
        const response = await options.call(method, create(method.input));
        return toJson(method.output, response as Message & { $typeName: string }) as unknown as JSONWebKeySet;
      },
    },
  });
}
