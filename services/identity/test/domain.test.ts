import { describe, expect, it } from "vitest";
import {
  type AttemptState,
  admitAttempt,
  backoffDelayMs,
  isRemembered,
  lockAfter,
} from "../src/domain/attempt-backoff.ts";
import { displayNameFor, displayNameProblem } from "../src/domain/display-name.ts";
import { isValidEmail, normaliseEmail } from "../src/domain/email.ts";
import { rotationDue, stillPublished } from "../src/domain/key-rotation.ts";
import { hashPassword, needsRehash, verifyPassword } from "../src/domain/password-hash.ts";
import { passwordProblem } from "../src/domain/password-policy.ts";

describe("email", () => {
  it.each([
    ["  Ann.Lee@Example.COM ", "ann.lee@example.com"],
    ["BOB+shop@x.io", "bob+shop@x.io"],
  ])("normalises %j to %j", (raw, normalised) => {
    expect(normaliseEmail(raw)).toBe(normalised);
  });

  it.each(["ann@example.com", "a.b-c+d@sub.example.co.uk", "x@y.io", "o'neil@example.org"])("accepts %s", (email) => {
    expect(isValidEmail(email)).toBe(true);
  });

  it.each([
    "",
    "ann",
    "ann@",
    "@example.com",
    "ann@example",
    "ann@@example.com",
    "ann example@example.com",
    "ann@exa mple.com",
    "ann@-example.com",
    "ann@example.123",
    ".ann@example.com",
    "ann..lee@example.com",
    "ann@example..com",
    "ann\n@example.com",
    `${"a".repeat(65)}@example.com`,
    `ann@${"a".repeat(250)}.com`,
  ])("refuses %j", (email) => {
    expect(isValidEmail(email)).toBe(false);
  });
});

describe("password policy", () => {
  it("wants 8 to 128 characters, counted as code points", () => {
    expect(passwordProblem("1234567")).toMatch(/at least 8/);
    expect(passwordProblem("12345678")).toBeUndefined();
    expect(passwordProblem("x".repeat(128))).toBeUndefined();
    expect(passwordProblem("x".repeat(129))).toMatch(/at most 128/);
    // Eight emoji are eight characters to the person typing them, sixteen UTF-16 units.
    expect(passwordProblem("🔑".repeat(8))).toBeUndefined();
    expect(passwordProblem("🔑".repeat(128))).toBeUndefined();
    expect(passwordProblem("🔑".repeat(129))).toMatch(/at most 128/);
  });
});

describe("display name", () => {
  it("defaults to the email's local part and is trimmed", () => {
    expect(displayNameFor("", "ann.lee@example.com")).toBe("ann.lee");
    expect(displayNameFor("  Ann Lee ", "ann@example.com")).toBe("Ann Lee");
  });

  it("refuses control characters and more than 100 characters", () => {
    expect(displayNameProblem("Ann\nLee")).toMatch(/control/);
    expect(displayNameProblem("x".repeat(101))).toMatch(/at most 100/);
    expect(displayNameProblem("x".repeat(100))).toBeUndefined();
  });
});

describe("password hash", () => {
  it("verifies the password it was made from and no other", async () => {
    const stored = await hashPassword("correct horse battery");
    expect(stored).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{86}$/);
    expect(await verifyPassword("correct horse battery", stored)).toBe(true);
    expect(await verifyPassword("correct horse battery!", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("salts every hash", async () => {
    expect(await hashPassword("same password")).not.toBe(await hashPassword("same password"));
  });

  it("verifies a hash made with other parameters and asks for it to be upgraded", async () => {
    const weak = await hashPassword("old password", { logN: 10, r: 8, p: 1 });
    expect(await verifyPassword("old password", weak)).toBe(true);
    expect(needsRehash(weak)).toBe(true);
    expect(needsRehash(await hashPassword("new password"))).toBe(false);
  });

  it("treats a malformed stored hash as a mismatch, not a crash", async () => {
    expect(await verifyPassword("anything", "plaintext")).toBe(false);
    expect(await verifyPassword("anything", "$scrypt$ln=99,r=8,p=1$AAAA$AAAA")).toBe(false);
  });
});

describe("signing key rotation", () => {
  const hour = 3_600_000;
  const at = (h: number) => new Date(Date.UTC(2030, 0, 1) + h * hour);

  it("is due with no key, or when the newest is old enough", () => {
    expect(rotationDue(undefined, at(0), 24 * hour)).toBe(true);
    expect(rotationDue({ generation: 1, createdAt: at(0) }, at(23), 24 * hour)).toBe(false);
    expect(rotationDue({ generation: 1, createdAt: at(0) }, at(24), 24 * hour)).toBe(true);
  });

  it("publishes the newest key, and a retired one until its successor is older than the grace period", () => {
    const keys = [
      { generation: 3, createdAt: at(100) },
      { generation: 2, createdAt: at(50) },
      { generation: 1, createdAt: at(0) },
    ];
    expect(stillPublished(keys, at(100.5), hour).map((k) => k.generation)).toEqual([3, 2]);
    expect(stillPublished(keys, at(101), hour).map((k) => k.generation)).toEqual([3]);
    expect(stillPublished(keys.slice(1), at(50.2), hour).map((k) => k.generation)).toEqual([2, 1]);
  });
});

describe("attempt backoff", () => {
  const policy = { freeAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 60_000, forgetAfterMs: 120_000 };
  const at = (ms: number) => new Date(ms);

  it("waits nothing for the free attempts, then doubles from the base up to the maximum", () => {
    const delays = Array.from({ length: 12 }, (_, i) => backoffDelayMs(i + 1, policy));
    expect(delays).toEqual([0, 0, 0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(backoffDelayMs(10_000, policy)).toBe(60_000);
  });

  it("counts an admitted attempt in advance and refuses attempts while locked, without counting them", () => {
    let state: AttemptState | undefined;
    const outcomes: string[] = [];
    for (const now of [0, 10, 20, 30, 40, 500, 1_029, 1_031]) {
      const admission = admitAttempt(state, at(now), policy);
      if (admission.admitted) {
        state = lockAfter(admission.next, at(now + 1), policy); // the attempt failed 1 ms later
        outcomes.push(`admitted ${state.failures}`);
      } else {
        outcomes.push(`refused ${admission.retryAfterMs}`);
      }
    }
    expect(outcomes).toEqual([
      "admitted 1",
      "admitted 2",
      "admitted 3",
      "admitted 4", // locked from 31 until 1 031
      "refused 991",
      "refused 531",
      "refused 2",
      "admitted 5", // locked for 2 s from 1 032
    ]);
    expect(state?.lockedUntil.getTime()).toBe(3_032);
  });

  it("forgets an account after a quiet spell, but never while it is locked", () => {
    const locked: AttemptState = { failures: 20, lockedUntil: at(200_000), lastAttemptAt: at(0) };
    expect(isRemembered(locked, at(150_000), policy)).toBe(true);
    expect(admitAttempt(locked, at(150_000), policy).admitted).toBe(false);
    const quiet: AttemptState = { failures: 20, lockedUntil: at(60_000), lastAttemptAt: at(0) };
    expect(isRemembered(quiet, at(119_999), policy)).toBe(true);
    expect(isRemembered(quiet, at(120_000), policy)).toBe(false);
    const fresh = admitAttempt(quiet, at(120_000), policy);
    expect(fresh).toEqual({
      admitted: true,
      next: { failures: 1, lockedUntil: at(120_000), lastAttemptAt: at(120_000) },
    });
  });

  it("never shortens a lock when a failure ends", () => {
    const state: AttemptState = { failures: 1, lockedUntil: at(50_000), lastAttemptAt: at(0) };
    expect(lockAfter(state, at(10), policy).lockedUntil).toEqual(at(50_000));
  });
});
