import { randomBytes, randomUUID } from "node:crypto";
import { fromBinary, toJson } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { DeliverPolicy } from "@nats-io/jetstream";
import { UserSignedUpSchema } from "@weft/gen/shop/identity/v1/events_pb.js";
import { GetJwksResponseSchema, Role } from "@weft/gen/shop/identity/v1/identity_pb.js";
import { IdentityServiceBinding, type IdentityServiceClient } from "@weft/gen/shop/identity/v1/identity_weft.js";
import { Code, RpcError, type RunningService, startService } from "@weft/mesh";
import { connectEventBus, outbox, readEnvelope } from "@weft/mesh/events";
import { createTestDatabase, TestMesh } from "@weft/mesh/testing";
import { eq, sql } from "drizzle-orm";
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  generateKeyPair,
  type JSONWebKeySet,
  jwtVerify,
  SignJWT,
} from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identityService } from "../src/service.ts";
import * as schema from "../src/store/schema.ts";
import { KeyRing } from "../src/tokens/key-ring.ts";
import { KeySealer } from "../src/tokens/key-sealer.ts";

const run = randomUUID().slice(0, 8);
const email = (name: string) => `${name}-${run}@example.com`;
/** The key-encryption key this run's identity seals its signing keys with, as a Secret would hold it. */
const kek = randomBytes(32);
const adminEnv = {
  ADMIN_EMAIL: `admin-${run}@weft.local`,
  ADMIN_PASSWORD: "admin-password-1",
  IDENTITY_KEY_ENCRYPTION_KEY: kek.toString("base64"),
};
const world = new TestMesh();
let identity: RunningService<typeof schema> & { address: string };
let client: IdentityServiceClient;

beforeAll(async () => {
  identity = await world.start(identityService(), { env: adminEnv });
  client = await world.client("gateway", IdentityServiceBinding, identity.address);
});
afterAll(() => world.close());

async function failure(call: Promise<unknown>): Promise<RpcError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof RpcError)) throw new Error(`expected an RpcError, got ${String(error)}`);
  return error;
}

async function signUpAndLogin(name: string, password = "password-123") {
  const { user } = await client.signUp({ email: email(name), password });
  const login = await client.login({ email: email(name), password });
  return { user: user!, login };
}

const bearer = (token: string) => ({ metadata: { authorization: `Bearer ${token}` } });

async function countUsers(): Promise<number> {
  const [row] = await identity.db.select({ n: sql<number>`count(*)::int` }).from(schema.users);
  return row!.n;
}

describe("sign-up and login", () => {
  it("issues an ES256 token that verifies against GetJwks, with kid, iss, aud, sub, role, email and a 1 h expiry", async () => {
    const { user, login } = await signUpAndLogin("ann");
    expect(user.role).toBe(Role.CUSTOMER);
    expect(user.displayName).toBe(`ann-${run}`);
    expect(login.tokenType).toBe("Bearer");
    expect(login.expiresIn).toBe(3600);
    expect(login.user?.id).toBe(user.id);

    const jwks = toJson(GetJwksResponseSchema, await client.getJwks({})) as unknown as JSONWebKeySet;
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" });
    expect(jwks.keys[0]).not.toHaveProperty("d");
    const { payload, protectedHeader } = await jwtVerify(login.accessToken, createLocalJWKSet(jwks), {
      issuer: "weft-identity",
      audience: "weft",
      algorithms: ["ES256"],
    });
    expect(protectedHeader.kid).toBe(jwks.keys[0]!.kid);
    expect(payload).toMatchObject({ sub: user.id, role: "customer", email: email("ann") });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(payload.jti).toBeTruthy();
    expect(timestampDate(login.expireTime!).getTime()).toBe(payload.exp! * 1000);
  });

  it("stores the email lower-cased and logs in whatever its case", async () => {
    const { user } = await client.signUp({ email: `  Mixed.Case-${run}@Example.COM `, password: "password-123" });
    expect(user!.email).toBe(`mixed.case-${run}@example.com`);
    const login = await client.login({ email: `MIXED.case-${run}@example.com`, password: "password-123" });
    expect(login.user?.id).toBe(user!.id);
  });

  it("refuses a second account for an email, whatever its case: ALREADY_EXISTS EMAIL_TAKEN", async () => {
    await client.signUp({ email: email("dup"), password: "password-123" });
    const before = await countUsers();
    const error = await failure(client.signUp({ email: email("DUP"), password: "other-password" }));
    expect(error.code).toBe(Code.ALREADY_EXISTS);
    expect(error.reason).toBe("EMAIL_TAKEN");
    expect(await countUsers()).toBe(before);
  });

  it("answers wrong password and unknown email alike, and takes as long for both", async () => {
    await client.signUp({ email: email("bob"), password: "right-password" });
    const timed = async (request: { email: string; password: string }) => {
      const started = performance.now();
      const error = await failure(client.login(request));
      return { error, ms: performance.now() - started };
    };
    const wrongPassword = [];
    const unknownEmail = [];
    for (let i = 0; i < 3; i++) {
      wrongPassword.push(await timed({ email: email("bob"), password: "wrong-password" }));
      unknownEmail.push(await timed({ email: email("nobody"), password: "wrong-password" }));
    }
    for (const { error } of [...wrongPassword, ...unknownEmail]) {
      expect(error.code).toBe(Code.UNAUTHENTICATED);
      expect(error.reason).toBe("INVALID_CREDENTIALS");
      expect(error.rawMessage).toBe("invalid email or password");
    }
    // Without the dummy hash an unknown email answers in about a millisecond; with it, in the
    // time of one scrypt, like a wrong password.
    const median = (xs: { ms: number }[]) => xs.map((x) => x.ms).sort((a, b) => a - b)[1]!;
    expect(median(unknownEmail)).toBeGreaterThan(median(wrongPassword) * 0.4);
  });
});

describe("bad input", () => {
  const cases: Array<[string, { email?: string; password?: string; displayName?: string }, string[]]> = [
    ["nothing at all", {}, ["email", "password"]],
    ["no password", { email: "x@example.com" }, ["password"]],
    ["a malformed email", { email: "not-an-email", password: "password-123" }, ["email"]],
    ["an email without a dot in the domain", { email: "ann@localhost", password: "password-123" }, ["email"]],
    ["a huge email", { email: `${"a".repeat(100_000)}@example.com`, password: "password-123" }, ["email"]],
    ["a short password", { email: "short@example.com", password: "1234567" }, ["password"]],
    ["a huge password", { email: "huge@example.com", password: "p".repeat(100_000) }, ["password"]],
    [
      "a huge display name",
      { email: "name@example.com", password: "password-123", displayName: "n".repeat(101) },
      ["display_name"],
    ],
    [
      "a display name with a newline",
      { email: "nl@example.com", password: "password-123", displayName: "Ann\nAdmin" },
      ["display_name"],
    ],
  ];

  it.each(cases)(
    "SignUp with %s is INVALID_ARGUMENT naming the fields, and writes nothing",
    async (_, request, fields) => {
      const before = await countUsers();
      const error = await failure(client.signUp(request));
      expect(error.code).toBe(Code.INVALID_ARGUMENT);
      expect(error.fieldViolations.map((v) => v.field)).toEqual(fields);
      expect(await countUsers()).toBe(before);
      const [outboxRows] = await identity.db.select({ n: sql<number>`count(*)::int` }).from(outbox);
      expect(outboxRows!.n).toBe(before - 1); // one UserSignedUp per customer; the seeded admin has none
    },
  );

  it.each([
    ["nothing", {}, ["email", "password"]],
    ["a huge password", { email: "ann@example.com", password: "p".repeat(100_000) }, ["password"]],
    ["a huge email", { email: `${"a".repeat(100_000)}@example.com`, password: "password-123" }, ["email"]],
    // PostgreSQL refuses a NUL in text: it must never get that far (it used to answer INTERNAL).
    ["a NUL in the email", { email: "ann\u0000@example.com", password: "password-123" }, ["email"]],
    ["a NUL in the password", { email: "ann@example.com", password: "password\u0000123" }, ["password"]],
  ])("Login with %s is INVALID_ARGUMENT naming the fields", async (_, request, fields) => {
    const error = await failure(client.login(request));
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.fieldViolations.map((v) => v.field)).toEqual(fields);
  });

  it("GetUser without an id is INVALID_ARGUMENT", async () => {
    const { login } = await signUpAndLogin("noid");
    const error = await failure(client.getUser({ id: "" }, bearer(login.accessToken)));
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
    expect(error.fieldViolations.map((v) => v.field)).toEqual(["id"]);
  });
});

describe("GetUser", () => {
  it("lets a customer read themself but nobody else, and an admin read anyone", async () => {
    const carol = await signUpAndLogin("carol");
    const dave = await signUpAndLogin("dave");
    const self = await client.getUser({ id: carol.user.id }, bearer(carol.login.accessToken));
    expect(self.user?.email).toBe(email("carol"));

    const denied = await failure(client.getUser({ id: dave.user.id }, bearer(carol.login.accessToken)));
    expect(denied.code).toBe(Code.PERMISSION_DENIED);

    const admin = await client.login({ email: adminEnv.ADMIN_EMAIL, password: adminEnv.ADMIN_PASSWORD });
    expect(admin.user?.role).toBe(Role.ADMIN);
    const read = await client.getUser({ id: dave.user.id }, bearer(admin.accessToken));
    expect(read.user?.email).toBe(email("dave"));
    const unknown = await failure(client.getUser({ id: randomUUID() }, bearer(admin.accessToken)));
    expect(unknown.code).toBe(Code.NOT_FOUND);
    const notAnId = await failure(client.getUser({ id: "no-such-user" }, bearer(admin.accessToken)));
    expect(notAnId.code).toBe(Code.NOT_FOUND);
  });

  it("requires a token signed by identity's own key", async () => {
    const erin = await signUpAndLogin("erin");
    expect((await failure(client.getUser({ id: erin.user.id }))).code).toBe(Code.UNAUTHENTICATED);
    // A token claiming admin, with the real kid, but signed by another key.
    const { kid } = decodeProtectedHeader(erin.login.accessToken);
    const { privateKey } = await generateKeyPair("ES256");
    const forged = await new SignJWT({ role: "admin" })
      .setProtectedHeader({ alg: "ES256", kid: kid! })
      .setIssuer("weft-identity")
      .setAudience("weft")
      .setSubject(erin.user.id)
      .setExpirationTime("1h")
      .sign(privateKey);
    expect((await failure(client.getUser({ id: erin.user.id }, bearer(forged)))).code).toBe(Code.UNAUTHENTICATED);
  });
});

describe("UserSignedUp", () => {
  it("is published from the outbox of the sign-up transaction", async () => {
    const since = new Date(Date.now() - 1_000).toISOString();
    const { user } = await client.signUp({ email: email("frank"), password: "password-123" });
    const bus = await connectEventBus({
      servers: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
      name: "identity-test",
    });
    try {
      const consumer = await bus.js.consumers.get("SHOP_IDENTITY_V1", {
        filter_subjects: "shop.identity.v1.UserSignedUp",
        deliver_policy: DeliverPolicy.StartTime,
        opt_start_time: since,
      });
      let signedUp: string | undefined;
      for (let i = 0; i < 200 && signedUp === undefined; i++) {
        const msg = await consumer.next({ expires: 5_000 });
        if (msg === null) break;
        if (readEnvelope(msg.headers)?.subject === user!.id) {
          expect(readEnvelope(msg.headers)?.source).toBe("shop/identity");
          signedUp = fromBinary(UserSignedUpSchema, msg.data).user?.email;
        }
      }
      expect(signedUp).toBe(email("frank"));
      await consumer.delete().catch(() => {});
    } finally {
      await bus.close();
    }
    // The relay marks the row in the transaction that published it, which commits just after the publish.
    const publishedAt = async () =>
      (await identity.db.select().from(outbox).where(eq(outbox.subject, user!.id)))[0]?.publishedAt;
    await expect.poll(publishedAt, { timeout: 5_000 }).toBeInstanceOf(Date);
  });
});

describe("restarts and replicas", () => {
  const dataDir = `${world.dir}/restart`;
  const startOn = (databaseUrl: string, env: Record<string, string> = {}) =>
    startService(identityService(), {
      mesh: world.config(),
      settings: { databaseUrl, dataDir },
      env: { ...process.env, ...env },
    });
  const jwksKids = async (service: RunningService<typeof schema>) => {
    const c = await world.client("gateway", IdentityServiceBinding, `127.0.0.1:${service.server.port}`);
    return (await c.getJwks({})).keys.map((k) => k.kid);
  };

  it("keeps its signing key and its seeded admin across a restart", async () => {
    const database = await createTestDatabase("identity_restart");
    try {
      const first = await startOn(database.url, adminEnv);
      const kidsBefore = await jwksKids(first);
      const [adminBefore] = await first.db.select().from(schema.users).where(eq(schema.users.role, "admin"));
      await first.stop();

      const second = await startOn(database.url, adminEnv);
      try {
        expect(await jwksKids(second)).toEqual(kidsBefore);
        const admins = await second.db.select().from(schema.users).where(eq(schema.users.role, "admin"));
        expect(admins).toHaveLength(1);
        expect(admins[0]!.passwordHash).toBe(adminBefore!.passwordHash);
        expect(await second.db.select().from(schema.signingKeys)).toHaveLength(1);
      } finally {
        await second.stop();
      }
    } finally {
      await database.drop();
    }
  });

  it("uses a changed ADMIN_PASSWORD after a restart, and the old password stops working", async () => {
    const database = await createTestDatabase("identity_admin_password");
    try {
      await (await startOn(database.url, adminEnv)).stop();
      const changed = await startOn(database.url, { ...adminEnv, ADMIN_PASSWORD: "a-new-admin-password" });
      try {
        const c = await world.client("gateway", IdentityServiceBinding, `127.0.0.1:${changed.server.port}`);
        const login = await c.login({ email: adminEnv.ADMIN_EMAIL, password: "a-new-admin-password" });
        expect(login.user?.role).toBe(Role.ADMIN);
        const old = await failure(c.login({ email: adminEnv.ADMIN_EMAIL, password: adminEnv.ADMIN_PASSWORD }));
        expect(old.code).toBe(Code.UNAUTHENTICATED);
      } finally {
        await changed.stop();
      }
    } finally {
      await database.drop();
    }
  });

  it("keeps signing keys only sealed in the database: no private key is readable there", async () => {
    const [row] = await identity.db.select().from(schema.signingKeys);
    expect(row!.privateJwk).toBeNull();
    // Whatever a dump of the table shows, no private JWK member is in it.
    const dump = await identity.db.execute(sql`select row_to_json(k)::text as json from signing_keys k`);
    const text = JSON.stringify(dump);
    expect(text).not.toMatch(/\\?"d\\?"\s*:/);
    expect(row!.sealedPrivateKey).toMatch(/^v1\.[0-9a-f]{12}\./);
    // It is the signing key, sealed: the key-encryption key opens it to the published key pair.
    const opened = new KeySealer(kek).open(row!.kid, row!.sealedPrivateKey!);
    expect(opened).toMatchObject({ kty: "EC", crv: "P-256", x: row!.publicJwk.x, y: row!.publicJwk.y });
    expect(typeof opened.d).toBe("string");
    expect(text).not.toContain(opened.d);
    // Another key, or the value moved to another key id, opens nothing.
    expect(() => new KeySealer(randomBytes(32)).open(row!.kid, row!.sealedPrivateKey!)).toThrow();
    expect(() => new KeySealer(kek).open("another-kid", row!.sealedPrivateKey!)).toThrow();
  });

  it("seals plaintext keys left by an older version at start, and signs on with the same key", async () => {
    const database = await createTestDatabase("identity_seal");
    try {
      const first = await startOn(database.url, adminEnv);
      const kids = await jwksKids(first);
      const [row] = await first.db.select().from(schema.signingKeys);
      // What a version before sealing stored: the private JWK in plaintext.
      const privateJwk = new KeySealer(kek).open(row!.kid, row!.sealedPrivateKey!);
      await first.db
        .update(schema.signingKeys)
        .set({ privateJwk, sealedPrivateKey: null })
        .where(eq(schema.signingKeys.kid, row!.kid));
      await first.stop();

      const second = await startOn(database.url, adminEnv);
      try {
        const [after] = await second.db.select().from(schema.signingKeys);
        expect(after!.privateJwk).toBeNull();
        expect(new KeySealer(kek).open(after!.kid, after!.sealedPrivateKey!)).toEqual(privateJwk);
        expect(await jwksKids(second)).toEqual(kids);
        const c = await world.client("gateway", IdentityServiceBinding, `127.0.0.1:${second.server.port}`);
        const login = await c.login({ email: adminEnv.ADMIN_EMAIL, password: adminEnv.ADMIN_PASSWORD });
        expect(decodeProtectedHeader(login.accessToken).kid).toBe(kids[0]);
      } finally {
        await second.stop();
      }
    } finally {
      await database.drop();
    }
  });

  it("refuses to start without a key-encryption key, or with one that does not open the stored keys", async () => {
    const database = await createTestDatabase("identity_kek");
    try {
      const { IDENTITY_KEY_ENCRYPTION_KEY: _, ...withoutKey } = adminEnv;
      await expect(
        startService(identityService(), {
          mesh: world.config(),
          settings: { databaseUrl: database.url, dataDir },
          env: { ...withoutKey, IDENTITY_DEV_KEY_ENCRYPTION: "false" },
        }),
      ).rejects.toThrow(/IDENTITY_KEY_ENCRYPTION_KEY must be set/);
      await (await startOn(database.url, adminEnv)).stop();
      await expect(
        startOn(database.url, { ...adminEnv, IDENTITY_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64") }),
      ).rejects.toThrow(/cannot open the stored signing key/);
    } finally {
      await database.drop();
    }
  });

  it("ends with one key when two replicas start at once on an empty database", async () => {
    const database = await createTestDatabase("identity_race");
    try {
      const replicas = await Promise.all([startOn(database.url, adminEnv), startOn(database.url, adminEnv)]);
      try {
        const [a, b] = await Promise.all(replicas.map(jwksKids));
        expect(a).toHaveLength(1);
        expect(b).toEqual(a);
        expect(await replicas[0]!.db.select().from(schema.signingKeys)).toHaveLength(1);
        expect(await replicas[0]!.db.select().from(schema.users)).toHaveLength(1);
        // The same race, made certain: five rings find the key due for rotation at once.
        const rings = Array.from(
          { length: 5 },
          () => new KeyRing(replicas[0]!.db, { sealer: new KeySealer(kek), rotateAfterMs: 0, graceMs: 60_000 }),
        );
        await Promise.all(rings.map((ring) => ring.rotateIfDue()));
        const signers = await Promise.all(rings.map((ring) => ring.signingKey()));
        expect(new Set(signers.map((s) => s.kid)).size).toBe(1);
        expect(await replicas[0]!.db.select().from(schema.signingKeys)).toHaveLength(2);
        // The retired key stays published for its grace period, next to the new one.
        expect(await rings[0]!.publicKeys()).toHaveLength(2);
      } finally {
        await Promise.all(replicas.map((r) => r.stop()));
      }
    } finally {
      await database.drop();
    }
  });
});
