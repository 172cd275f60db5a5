// The identity service's database: accounts and the keys that sign access tokens (the mesh
// migrates its own outbox/inbox into the same database).
import { sql } from "drizzle-orm";
import { check, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import type { JWK } from "jose";

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey(),
    /** Stored lower-cased (the domain normalises it); unique across users. */
    email: text("email").notNull(),
    displayName: text("display_name").notNull(),
    role: text("role").$type<"customer" | "admin">().notNull(),
    /** Self-describing scrypt hash (`$scrypt$ln=15,r=8,p=1$salt$hash`), so the cost can rise later. */
    passwordHash: text("password_hash").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("users_email_key").on(table.email),
    check("users_email_lower_case", sql`${table.email} = lower(${table.email})`),
    check("users_email_length", sql`char_length(${table.email}) between 3 and 254`),
    check("users_display_name_length", sql`char_length(${table.displayName}) between 1 and 100`),
    check("users_role_known", sql`${table.role} in ('customer', 'admin')`),
  ],
);

/**
 * ES256 key pairs that sign access tokens. The newest generation signs; every key within the
 * retention window is published in the JWKS so tokens signed before a rotation still verify.
 * `generation` is unique: replicas that start at once all try to insert the same next
 * generation, exactly one insert wins, and all of them read the winner back. The private key
 * is stored only sealed (AES-256-GCM, tokens/key-sealer.ts); `private_jwk` is what rows written
 * before that held in plaintext, sealed and cleared at start.
 */
export const signingKeys = pgTable(
  "signing_keys",
  {
    kid: text("kid").primaryKey(),
    generation: integer("generation").notNull(),
    /** Legacy plaintext private key; null once sealed. */
    privateJwk: jsonb("private_jwk").$type<JWK>(),
    sealedPrivateKey: text("sealed_private_key"),
    publicJwk: jsonb("public_jwk").$type<JWK>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex("signing_keys_generation_key").on(table.generation),
    check("signing_keys_generation_positive", sql`${table.generation} > 0`),
    check("signing_keys_private_key_once", sql`(${table.privateJwk} is null) <> (${table.sealedPrivateKey} is null)`),
  ],
);

/**
 * Backoff state per account (`login`) and per email (`sign_up`), shared by every replica so the
 * limit holds however many there are and across restarts; the rule is domain/attempt-backoff.ts.
 * Keyed by the normalised email whether or not an account has it, so the throttle answers alike
 * for both and tells nobody which emails are registered. Forgotten rows are purged periodically.
 */
export const attemptThrottles = pgTable(
  "attempt_throttles",
  {
    kind: text("kind").$type<"login" | "sign_up">().notNull(),
    /** The normalised email the attempts were for. */
    subject: text("subject").notNull(),
    failures: integer("failures").notNull(),
    lockedUntil: timestamp("locked_until", { withTimezone: true, precision: 3 }).notNull(),
    lastAttemptAt: timestamp("last_attempt_at", { withTimezone: true, precision: 3 }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.kind, table.subject] }),
    check("attempt_throttles_kind_known", sql`${table.kind} in ('login', 'sign_up')`),
    check("attempt_throttles_failures_non_negative", sql`${table.failures} >= 0`),
  ],
);
