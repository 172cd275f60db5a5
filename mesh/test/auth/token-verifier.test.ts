// The token verifier while the issuer (identity) is down: the last good key set keeps verifying,
// fetches are retried with backoff, and only a cache older than maxStaleMs fails calls.
import { Metadata } from "@grpc/grpc-js";
import { generateKeyPair, SignJWT } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { Code, type EndUser, RpcError, TokenVerifier } from "../../src/index.ts";
import { TestTokens } from "../../src/testing/index.ts";

/** The verified user of a call's metadata, as the runtime asks the verifier. */
async function userOf(verifier: TokenVerifier, call: { metadata: Metadata }): Promise<EndUser> {
  const user = await verifier.authenticate(String(call.metadata.get("authorization")[0] ?? ""));
  if (user === undefined) throw new Error("the call carries no token");
  return user;
}

const tokens = await TestTokens.create();

/** The issuer as the verifier sees it: up or down, and how often it was asked. */
class Issuer {
  up = true;
  fetches = 0;
  readonly fetchJwks = async () => {
    this.fetches++;
    if (!this.up) throw new Error("connect ECONNREFUSED identity");
    return { keys: [tokens.jwk] };
  };
}

/** A logger that remembers what it was told. */
class Lines {
  readonly warnings: string[] = [];
  readonly infos: string[] = [];
  warn(_fields: object, message: string) {
    this.warnings.push(message);
  }
  info(_fields: object, message: string) {
    this.infos.push(message);
  }
}

const minute = 60_000;
let clock: number;
let issuer: Issuer;
let lines: Lines;
let verifier: TokenVerifier;
/** Lets a background fetch the verifier started settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => {
  clock = 1_000_000;
  issuer = new Issuer();
  lines = new Lines();
  verifier = new TokenVerifier({
    issuer: tokens.issuer,
    audience: tokens.audience,
    keys: { fetchJwks: issuer.fetchJwks },
    cacheMs: 5 * minute,
    maxStaleMs: 60 * minute,
    retryMinMs: 1_000,
    retryMaxMs: 8_000,
    logger: lines,
    now: () => clock,
  });
});

const bearer = async () => {
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${await tokens.sign({ sub: "ann" })}`);
  return { metadata };
};

async function failureOf(call: Promise<unknown>): Promise<RpcError> {
  const outcome = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(RpcError);
  return outcome as RpcError;
}

describe("TokenVerifier with the issuer down", () => {
  it("keeps verifying with the cached keys past their freshness, retrying with backoff", async () => {
    expect((await userOf(verifier, await bearer())).id).toBe("ann");
    expect(issuer.fetches).toBe(1);

    issuer.up = false;
    clock += 5 * minute + 1;
    // Stale: still verifies, and a background fetch is tried (and fails, and is logged).
    expect((await userOf(verifier, await bearer())).id).toBe("ann");
    await settle();
    expect(issuer.fetches).toBe(2);
    expect(lines.warnings).toEqual(["cannot fetch the token issuer's keys: verifying with the last keys fetched"]);

    // Within the backoff no fetch is tried, however many calls come.
    clock += 500;
    for (let i = 0; i < 20; i++) await userOf(verifier, await bearer());
    await settle();
    expect(issuer.fetches).toBe(2);

    // After it, one more; the backoff doubles (1 s, 2 s, 4 s, capped at 8 s).
    clock += 600;
    await userOf(verifier, await bearer());
    await settle();
    expect(issuer.fetches).toBe(3);
    clock += 1_500;
    await userOf(verifier, await bearer());
    await settle();
    expect(issuer.fetches).toBe(3);
    clock += 600;
    await userOf(verifier, await bearer());
    await settle();
    expect(issuer.fetches).toBe(4);

    // The issuer is back: the next try succeeds and says so; the keys are fresh again.
    issuer.up = true;
    clock += 4_000;
    await userOf(verifier, await bearer());
    await settle();
    expect(issuer.fetches).toBe(5);
    expect(lines.infos).toEqual(["token issuer's keys fetched again"]);
    await userOf(verifier, await bearer());
    expect(issuer.fetches).toBe(5);
  });

  it("fails UNAVAILABLE once the cached keys are older than maxStaleMs", async () => {
    await userOf(verifier, await bearer());
    issuer.up = false;
    clock += 60 * minute + 1;
    const error = await failureOf(userOf(verifier, await bearer()));
    expect(error.code).toBe(Code.UNAVAILABLE);
    // And it does not ask again before the backoff is over.
    expect((await failureOf(userOf(verifier, await bearer()))).code).toBe(Code.UNAVAILABLE);
    expect(issuer.fetches).toBe(2);
  });

  it("answers a token signed by an unknown key UNAUTHENTICATED, not UNAVAILABLE, while the issuer is down", async () => {
    await userOf(verifier, await bearer());
    issuer.up = false;
    clock += 2_000;
    const { privateKey } = await generateKeyPair("ES256");
    const forged = await new SignJWT({ role: "admin" })
      .setProtectedHeader({ alg: "ES256", kid: "a-kid-nobody-published" })
      .setSubject("mallory")
      .setIssuer(tokens.issuer)
      .setAudience(tokens.audience)
      .setExpirationTime("1h")
      .sign(privateKey);
    const metadata = new Metadata();
    metadata.set("authorization", `Bearer ${forged}`);
    for (let i = 0; i < 5; i++) {
      expect((await failureOf(userOf(verifier, { metadata }))).code).toBe(Code.UNAUTHENTICATED);
    }
    // One fetch for the unknown kid, then the backoff keeps forged kids from hammering the issuer.
    expect(issuer.fetches).toBe(2);
    expect((await userOf(verifier, await bearer())).id).toBe("ann");
  });

  it("fails UNAVAILABLE when it never had keys, and retries only after the backoff", async () => {
    issuer.up = false;
    expect((await failureOf(userOf(verifier, await bearer()))).code).toBe(Code.UNAVAILABLE);
    expect((await failureOf(userOf(verifier, await bearer()))).code).toBe(Code.UNAVAILABLE);
    expect(issuer.fetches).toBe(1);
    expect(lines.warnings).toEqual(["cannot fetch the token issuer's keys: authenticated calls fail until it answers"]);
    issuer.up = true;
    clock += 1_001;
    expect((await userOf(verifier, await bearer())).id).toBe("ann");
  });
});
