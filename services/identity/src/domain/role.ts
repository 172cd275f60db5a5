/** A user's role as stored and as the `role` claim of access tokens. */
export type RoleName = "customer" | "admin";
