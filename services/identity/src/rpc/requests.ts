import type { LoginRequest, SignUpRequest } from "@weft/gen/shop/identity/v1/identity_pb.js";
import { Violations } from "@weft/mesh";
import { displayNameFor, displayNameProblem } from "../domain/display-name.ts";
import { isValidEmail, maxEmailLength, normaliseEmail } from "../domain/email.ts";
import { passwordLength, passwordProblem } from "../domain/password-policy.ts";

export interface SignUpInput {
  email: string;
  password: string;
  displayName: string;
}

/** A valid sign-up, normalised; or INVALID_ARGUMENT listing every problem. */
export function signUpInput(request: SignUpRequest): SignUpInput {
  const violations = new Violations();
  const email = normaliseEmail(request.email);
  if (violations.text("email", email, { maxLength: maxEmailLength }) && !isValidEmail(email)) {
    violations.add("email", "must be a valid email address");
  }
  if (violations.text("password", request.password)) {
    const problem = passwordProblem(request.password);
    if (problem !== undefined) violations.add("password", problem);
  }
  const nameProblem = displayNameProblem(request.displayName);
  if (nameProblem !== undefined) violations.add("display_name", nameProblem);
  violations.throwIfAny();
  return { email, password: request.password, displayName: displayNameFor(request.displayName, email) };
}

export interface LoginInput {
  email: string;
  password: string;
}

/**
 * A login attempt worth checking. Only absence and absurd sizes are refused as INVALID_ARGUMENT
 * (the bound keeps the slow hash from being fed megabytes); anything else that is wrong is
 * INVALID_CREDENTIALS, indistinguishable from a wrong password.
 */
export function loginInput(request: LoginRequest): LoginInput {
  const violations = new Violations();
  const email = normaliseEmail(request.email);
  violations.text("email", email, { maxLength: maxEmailLength });
  if (violations.text("password", request.password) && [...request.password].length > passwordLength.max) {
    violations.add("password", `must be at most ${passwordLength.max} characters`);
  }
  violations.throwIfAny();
  return { email, password: request.password };
}
