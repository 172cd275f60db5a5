import type { ProviderDecision } from "./provider.ts";

/** The payment methods the simulated provider knows, and how each behaves. */
export const testTokens = {
  /** Always approved. */
  visa: "tok_visa",
  /** Always declined with CARD_DECLINED. */
  decline: "tok_decline",
  /** Fails transiently on a configurable share of calls, approved otherwise. */
  flaky: "tok_flaky",
} as const;

export type TestToken = (typeof testTokens)[keyof typeof testTokens];

const known: ReadonlySet<string> = new Set(Object.values(testTokens));

export function isTestToken(value: string): value is TestToken {
  return known.has(value);
}

/**
 * The simulated provider's answer. `roll` draws a number in [0, 1) from the provider's random
 * source, only for a flaky token (so a scripted source maps one number to one flaky call); the
 * call fails when it falls below `flakyFailureRate`: a rate of 0 never fails and a rate of 1
 * always does, whatever the source.
 */
export function decideTestCharge(token: TestToken, roll: () => number, flakyFailureRate: number): ProviderDecision {
  switch (token) {
    case testTokens.visa:
      return { kind: "approved" };
    case testTokens.decline:
      return { kind: "declined", reason: "CARD_DECLINED" };
    case testTokens.flaky:
      return roll() < flakyFailureRate ? { kind: "unavailable" } : { kind: "approved" };
  }
}
