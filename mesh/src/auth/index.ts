export type { EndUser, TokenVerifierOptions, VerifierLog } from "./end-user.ts";
export { requireRole, TokenVerifier } from "./end-user.ts";
