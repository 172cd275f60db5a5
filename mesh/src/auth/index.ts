export type { EndUser, TokenVerifierOptions } from "./end-user.ts";
export { requireRole, TokenVerifier } from "./end-user.ts";
