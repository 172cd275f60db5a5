import type { Queryable } from "@weft/mesh/data";
import { eq, sql } from "drizzle-orm";
import { v7 as uuidv7 } from "uuid";
import type { RoleName } from "../domain/role.ts";
import * as schema from "./schema.ts";

export type UserRow = typeof schema.users.$inferSelect;
type Db = Queryable<typeof schema>;

export interface NewUser {
  email: string;
  displayName: string;
  role: RoleName;
  passwordHash: string;
}

/** Inserts the user unless the email is taken; returns the row, or undefined when it was taken. */
export async function insertUserIfEmailFree(db: Db, user: NewUser): Promise<UserRow | undefined> {
  const [row] = await db
    .insert(schema.users)
    .values({ id: uuidv7(), ...user })
    .onConflictDoNothing({ target: schema.users.email })
    .returning();
  return row;
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(schema.users).where(eq(schema.users.email, email));
  return row;
}

export async function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(schema.users).where(eq(schema.users.id, id));
  return row;
}

/** Replaces a hash made with outdated parameters, unless the password changed meanwhile. */
export async function upgradePasswordHash(db: Db, id: string, from: string, to: string): Promise<void> {
  await db
    .update(schema.users)
    .set({ passwordHash: to })
    .where(sql`${schema.users.id} = ${id} and ${schema.users.passwordHash} = ${from}`);
}

/** Sets a user's password hash (the seeded admin's, when ADMIN_PASSWORD changed). */
export async function setPasswordHash(db: Db, id: string, passwordHash: string): Promise<void> {
  await db.update(schema.users).set({ passwordHash }).where(eq(schema.users.id, id));
}
