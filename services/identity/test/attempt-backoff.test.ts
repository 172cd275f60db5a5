// Guessing passwords against one account, and hammering sign-up for one email, through the real
// service (real PostgreSQL, mTLS, the istio/ policies) with a fast backoff so the test is quick.
import { randomUUID } from "node:crypto";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { RetryInfoSchema } from "@weft/gen/google/rpc/error_details_pb.js";
import { IdentityServiceBinding, type IdentityServiceClient } from "@weft/gen/shop/identity/v1/identity_weft.js";
import { Code, RpcError, type RunningService } from "@weft/mesh";
import { TestMesh } from "@weft/mesh/testing";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identityService } from "../src/service.ts";
import { identitySettings } from "../src/settings.ts";
import { purgeForgottenAttempts } from "../src/store/attempt-throttles.ts";
import * as schema from "../src/store/schema.ts";

// Long enough that the latency between two calls on a loaded machine cannot blur a doubling.
const baseMs = 1_000;
const env = {
  LOGIN_FREE_ATTEMPTS: "3",
  SIGN_UP_FREE_ATTEMPTS: "2",
  ATTEMPT_BACKOFF_BASE_MS: String(baseMs),
  ATTEMPT_BACKOFF_MAX_MS: "60000",
  IDENTITY_DEV_KEY_ENCRYPTION: "true",
};
const run = randomUUID().slice(0, 8);
const email = (name: string) => `${name}-${run}@example.com`;
const world = new TestMesh();
let identity: RunningService<typeof schema> & { address: string };
let client: IdentityServiceClient;

beforeAll(async () => {
  identity = await world.start(identityService(), { env });
  client = await world.client("gateway", IdentityServiceBinding, identity.address);
});
afterAll(() => world.close());

/** The code of a call's outcome (OK when it succeeded), and the retry delay it carries. */
async function outcome(call: Promise<unknown>): Promise<{ code: Code; reason?: string; retryMs?: number }> {
  try {
    await call;
    return { code: Code.OK };
  } catch (error) {
    if (!(error instanceof RpcError)) throw error;
    const delay = error.findDetail(RetryInfoSchema)?.retryDelay;
    return { code: error.code, reason: error.reason, ...(delay ? { retryMs: durationMs(delay) } : {}) };
  }
}

const login = (who: string, password: string) => outcome(client.login({ email: who, password }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("login backoff per account", () => {
  it("backs off exponentially after the free attempts while another account logs in fine", async () => {
    const victim = email("victim");
    const bystander = email("bystander");
    await client.signUp({ email: victim, password: "right-password" });
    await client.signUp({ email: bystander, password: "right-password" });

    // Three free failures, then a fourth that is still checked but locks the account for base.
    for (let i = 0; i < 4; i++) expect((await login(victim, "wrong-password")).code).toBe(Code.UNAUTHENTICATED);
    const first = await login(victim, "right-password"); // even the right password waits
    expect(first).toMatchObject({ code: Code.RESOURCE_EXHAUSTED, reason: "LOGIN_THROTTLED" });
    expect(first.retryMs).toBeGreaterThan(0);
    expect(first.retryMs).toBeLessThanOrEqual(baseMs);
    expect((await login(bystander, "right-password")).code).toBe(Code.OK);

    // The next failure doubles the wait (measured from the failure's end, not its start).
    await sleep(first.retryMs! + 20);
    expect((await login(victim, "wrong-password")).code).toBe(Code.UNAUTHENTICATED);
    const second = await login(victim, "wrong-password");
    expect(second.code).toBe(Code.RESOURCE_EXHAUSTED);
    expect(second.retryMs).toBeGreaterThan(baseMs);
    expect(second.retryMs).toBeLessThanOrEqual(2 * baseMs);

    // Once the wait is over the right password works, and the account starts afresh.
    await sleep(second.retryMs! + 20);
    expect((await login(victim, "right-password")).code).toBe(Code.OK);
    for (let i = 0; i < 3; i++) expect((await login(victim, "wrong-password")).code).toBe(Code.UNAUTHENTICATED);
  });

  it("treats an email nobody registered exactly like an account, so the throttle reveals nothing", async () => {
    const registered = email("known");
    const unknown = email("unknown");
    await client.signUp({ email: registered, password: "right-password" });
    const sequence = async (who: string) => {
      const codes: Code[] = [];
      for (let i = 0; i < 6; i++) codes.push((await login(who, "wrong-password")).code);
      return codes;
    };
    const expected = [...Array(4).fill(Code.UNAUTHENTICATED), Code.RESOURCE_EXHAUSTED, Code.RESOURCE_EXHAUSTED];
    expect(await sequence(registered)).toEqual(expected);
    expect(await sequence(unknown)).toEqual(expected);
  });

  it("lets no burst of concurrent guesses past the free attempts", async () => {
    const target = email("burst");
    await client.signUp({ email: target, password: "right-password" });
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => login(target, "wrong-password")));
    const checked = outcomes.filter((o) => o.code === Code.UNAUTHENTICATED).length;
    const refused = outcomes.filter((o) => o.code === Code.RESOURCE_EXHAUSTED).length;
    // Three free attempts and the one that set the lock: no more passwords were tried.
    expect({ checked, refused }).toEqual({ checked: 4, refused: 16 });
  });
});

describe("sign-up backoff per email", () => {
  it("backs off repeated sign-ups for one email, not for others", async () => {
    const hammered = email("hammered");
    const codes: Code[] = [];
    for (let i = 0; i < 5; i++) {
      codes.push((await outcome(client.signUp({ email: hammered, password: "password-123" }))).code);
    }
    // Two free, the third is checked and locks, then refused.
    expect(codes).toEqual([
      Code.OK,
      Code.ALREADY_EXISTS,
      Code.ALREADY_EXISTS,
      Code.RESOURCE_EXHAUSTED,
      Code.RESOURCE_EXHAUSTED,
    ]);
    const refused = await outcome(client.signUp({ email: hammered, password: "password-123" }));
    expect(refused.reason).toBe("SIGN_UP_THROTTLED");
    expect((await outcome(client.signUp({ email: email("someone-else"), password: "password-123" }))).code).toBe(
      Code.OK,
    );
  });

  it("does not count a sign-up refused as invalid (no hash was run)", async () => {
    const careless = email("careless");
    for (let i = 0; i < 5; i++) {
      expect((await outcome(client.signUp({ email: careless, password: "short" }))).code).toBe(Code.INVALID_ARGUMENT);
    }
    expect((await outcome(client.signUp({ email: careless, password: "password-123" }))).code).toBe(Code.OK);
  });
});

describe("backoff rows", () => {
  it("are purged once forgotten, and only then", async () => {
    const table = schema.attemptThrottles;
    const now = new Date();
    const hour = 3_600_000;
    await identity.db.insert(table).values([
      {
        kind: "login",
        subject: email("old"),
        failures: 9,
        lockedUntil: new Date(now.getTime() - hour),
        lastAttemptAt: new Date(now.getTime() - 2 * hour),
      },
      {
        kind: "login",
        subject: email("recent"),
        failures: 9,
        lockedUntil: new Date(now.getTime() - hour),
        lastAttemptAt: now,
      },
      {
        kind: "login",
        subject: email("locked"),
        failures: 9,
        lockedUntil: new Date(now.getTime() + hour),
        lastAttemptAt: new Date(now.getTime() - 2 * hour),
      },
      {
        kind: "sign_up",
        subject: email("old"),
        failures: 9,
        lockedUntil: new Date(now.getTime() - hour),
        lastAttemptAt: new Date(now.getTime() - 2 * hour),
      },
    ]);
    expect(await purgeForgottenAttempts(identity.db, "login", new Date(now.getTime() - hour), now)).toBe(1);
    const left = async (kind: "login" | "sign_up", name: string) =>
      (
        await identity.db
          .select()
          .from(table)
          .where(and(eq(table.kind, kind), eq(table.subject, email(name))))
      ).length;
    expect([await left("login", "old"), await left("login", "recent"), await left("login", "locked")]).toEqual([
      0, 1, 1,
    ]);
    expect(await left("sign_up", "old")).toBe(1);
  });
});

describe("backoff settings", () => {
  it("are validated at start", () => {
    expect(identitySettings({}, undefined)).toMatchObject({
      loginFreeAttempts: 5,
      signUpFreeAttempts: 3,
      attemptBackoffBaseMs: 1_000,
      attemptBackoffMaxMs: 900_000,
    });
    expect(() => identitySettings({ LOGIN_FREE_ATTEMPTS: "0" }, undefined)).toThrow(/LOGIN_FREE_ATTEMPTS/);
    expect(() =>
      identitySettings({ ATTEMPT_BACKOFF_BASE_MS: "5000", ATTEMPT_BACKOFF_MAX_MS: "1000" }, undefined),
    ).toThrow(/ATTEMPT_BACKOFF_BASE_MS/);
  });
});
