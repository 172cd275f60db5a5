// The identity service's database: accounts, the keys that sign access tokens, and the mesh's
// outbox/inbox (re-exported so drizzle-kit creates them with the rest).
import { sql } from "drizzle-orm";
import { check, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import type { JWK } from "jose";

export { inbox, outbox } from "@weft/mesh/events";

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
