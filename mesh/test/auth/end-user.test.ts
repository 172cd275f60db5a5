// The caller's end user, from the call context: `context.user()` verifies the bearer token once
// per call with the app's verifier; `requireUser` refuses a call without one.
import { createServer, type Server } from "node:http";
import {
  EchoServiceBinding,
  type EchoServiceClient,
  type EchoServiceHandlers,
} from "@weft/gen/weft/echo/v1/echo_weft.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, type Mesh, provide, RpcError, requireUser, TokenVerifier } from "../../src/index.ts";
import { TestTokens } from "../../src/testing/index.ts";
import { address, TestWorld } from "../support/workloads.ts";

const world = new TestWorld();
let tokens: TestTokens;
let caller: Mesh;

/** Echoes who the caller is: `<id>/<role>`, or `anonymous`. */
const whoAmI: EchoServiceHandlers = {
  async echo(request, context) {
    if (request.text === "required") return { text: (await requireUser(context)).id };
    const user = await context.user();
    // Asked twice, verified once: the same promise.
    expect(context.user()).toBe(context.user());
    return { text: user ? `${user.id}/${user.role}` : "anonymous" };
  },
  count: async function* () {},
  collect: async () => ({}),
  chat: async function* () {},
};

async function serve(verifier: TokenVerifier | undefined): Promise<EchoServiceClient> {
  const server = await (await world.mesh("echo")).serve(
    [provide(EchoServiceBinding, whoAmI)],
    verifier ? { authenticate: (authorization) => verifier.authenticate(authorization) } : {},
  );
  return caller.connect(EchoServiceBinding, { target: address(server.port) });
}

const bearer = (token: string) => ({ metadata: { authorization: `Bearer ${token}` } });

async function failure(call: Promise<unknown>): Promise<RpcError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RpcError)) throw new Error(`expected an RpcError, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  tokens = await TestTokens.create({ issuer: "test-issuer", audience: "test-audience" });
  caller = await world.mesh("caller");
});
afterAll(() => world.close());

describe("context.user() with the app's verifier", () => {
  let echo: EchoServiceClient;
  beforeAll(async () => {
    echo = await serve(tokens.verifier());
  });

  it("is the token's subject and role", async () => {
    const token = await tokens.sign({ sub: "ann", role: "admin" });
    expect((await echo.echo({ text: "" }, bearer(token))).text).toBe("ann/admin");
  });

  it("is undefined without a token, and requireUser refuses that", async () => {
    expect((await echo.echo({ text: "" })).text).toBe("anonymous");
    expect((await failure(echo.echo({ text: "required" }))).code).toBe(Code.UNAUTHENTICATED);
  });

  it.each([
    ["expired", () => tokens.sign({ exp: Math.floor(Date.now() / 1000) - 60 })],
    ["another issuer", () => tokens.sign({ iss: "someone-else" })],
    ["another audience", () => tokens.sign({ aud: "someone-else" })],
    ["a key the issuer never published", () => tokens.signWithStrangerKey()],
    ["unsigned", async () => tokens.unsigned()],
  ])("refuses a token that is %s with UNAUTHENTICATED", async (_, token) => {
    expect((await failure(echo.echo({ text: "" }, bearer(await token())))).code).toBe(Code.UNAUTHENTICATED);
  });

  it("refuses an authorization header that is not a bearer token", async () => {
    const error = await failure(echo.echo({ text: "" }, { metadata: { authorization: "Basic dXNlcjpwdw==" } }));
    expect(error.code).toBe(Code.UNAUTHENTICATED);
  });
});

describe("context.user() when the app verifies no tokens", () => {
  it("is undefined without a token, and refuses a token it cannot verify", async () => {
    const echo = await serve(undefined);
    expect((await echo.echo({ text: "" })).text).toBe("anonymous");
    const error = await failure(echo.echo({ text: "" }, bearer(await tokens.sign())));
    expect(error.code).toBe(Code.UNAUTHENTICATED);
  });
});

describe("a verifier whose keys are at a JWKS URL (an OIDC issuer)", () => {
  let jwks: Server;
  let url: string;
  beforeAll(async () => {
    jwks = createServer((_, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ keys: [tokens.jwk] }));
    });
    const port = await new Promise<number>((resolve) =>
      jwks.listen(0, "127.0.0.1", () => resolve((jwks.address() as { port: number }).port)),
    );
    url = `http://127.0.0.1:${port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => jwks.close(() => resolve())));

  it("verifies tokens signed with the published key, and refuses others", async () => {
    const verifier = new TokenVerifier({ issuer: tokens.issuer, audience: tokens.audience, keys: { jwksUrl: url } });
    const user = await verifier.authenticate(`Bearer ${await tokens.sign({ sub: "bob", email: "bob@example.test" })}`);
    expect(user).toMatchObject({ id: "bob", role: "customer", email: "bob@example.test" });
    await expect(verifier.authenticate(`Bearer ${await tokens.signWithStrangerKey()}`)).rejects.toMatchObject({
      code: Code.UNAUTHENTICATED,
    });
  });

  it("answers UNAVAILABLE when the issuer's keys cannot be fetched", async () => {
    const verifier = new TokenVerifier({
      issuer: tokens.issuer,
      audience: tokens.audience,
      keys: { jwksUrl: "http://127.0.0.1:1/jwks.json" },
    });
    await expect(verifier.authenticate(`Bearer ${await tokens.sign()}`)).rejects.toMatchObject({
      code: Code.UNAVAILABLE,
    });
  });
});
