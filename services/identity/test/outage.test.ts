// Identity down: services and the edge keep verifying access tokens with the last key set they
// fetched from it, instead of failing every authenticated call once their cache expires.
import { toJson } from "@bufbuild/protobuf";
import { Metadata } from "@grpc/grpc-js";
import { GetJwksResponseSchema } from "@weft/gen/shop/identity/v1/identity_pb.js";
import { IdentityServiceBinding } from "@weft/gen/shop/identity/v1/identity_weft.js";
import { Code, createMesh, type EndUser, RpcError, TokenVerifier } from "@weft/mesh";
import { TestMesh } from "@weft/mesh/testing";
import type { JSONWebKeySet } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { identityService } from "../src/service.ts";

/** The verified user of a call's metadata, as the runtime asks the verifier. */
async function userOf(verifier: TokenVerifier, call: { metadata: Metadata }): Promise<EndUser> {
  const user = await verifier.authenticate(String(call.metadata.get("authorization")[0] ?? ""));
  if (user === undefined) throw new Error("the call carries no token");
  return user;
}

const world = new TestMesh();
afterAll(() => world.close());

describe("an identity outage", () => {
  it("leaves authenticated calls verifying with the cached JWKS", async () => {
    const identity = await world.start(identityService(), { env: { IDENTITY_DEV_KEY_ENCRYPTION: "true" } });
    const caller = await createMesh({ name: "catalog", config: world.config({ retryMaxAttempts: 1 }) });
    world.track(caller);
    const client = caller.connect(IdentityServiceBinding, { target: identity.address, timeoutMs: 1_000 });
    // As services and the edge build theirs, with a short freshness so the test sees it expire.
    const verifier = new TokenVerifier({
      issuer: "weft-identity",
      audience: "weft",
      algorithms: ["ES256"],
      cacheMs: 200,
      retryMinMs: 100,
      logger: caller.logger,
      keys: {
        fetchJwks: async () => toJson(GetJwksResponseSchema, await client.getJwks({})) as unknown as JSONWebKeySet,
      },
    });
    const edge = await world.client("gateway", IdentityServiceBinding, identity.address);
    const email = `outage-${Date.now()}@example.com`;
    await edge.signUp({ email, password: "password-123" });
    const { accessToken } = await edge.login({ email, password: "password-123" });
    const call = () => {
      const metadata = new Metadata();
      metadata.set("authorization", `Bearer ${accessToken}`);
      return userOf(verifier, { metadata });
    };
    const { id } = await call();

    await identity.stop();
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Well past the cache's freshness, identity unreachable: still verified, repeatedly.
    for (let i = 0; i < 5; i++) {
      expect((await call()).id).toBe(id);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    // A token identity never signed is still refused.
    const metadata = new Metadata();
    metadata.set("authorization", `Bearer ${accessToken.slice(0, -4)}AAAA`);
    const forged = await userOf(verifier, { metadata }).catch((e: unknown) => e);
    expect(forged).toBeInstanceOf(RpcError);
    expect((forged as RpcError).code).toBe(Code.UNAUTHENTICATED);
  });
});
