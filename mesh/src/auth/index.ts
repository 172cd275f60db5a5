export type { AppVerifierOptions, JwksCall } from "./app-verifier.ts";
export { appTokenVerifier } from "./app-verifier.ts";
export type { EndUser, TokenVerifierOptions, VerifierLog } from "./token-verifier.ts";
export { requireRole, TokenVerifier } from "./token-verifier.ts";
