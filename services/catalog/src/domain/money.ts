import type { FieldProblem } from "./violations.ts";

/** An amount in a currency's minor units (cents), as the proto's Money. */
export interface Money {
  readonly amountMinor: bigint;
  readonly currency: string;
}

/** A price above this is a typo, not a product (10^13 minor units: 100 billion dollars). */
export const maxAmountMinor = 10_000_000_000_000n;

/** ISO 4217 alphabetic codes are three upper-case letters. */
const currencyCode = /^[A-Z]{3}$/;

/** Checks a price: present, positive, bounded, with an ISO 4217 currency code. */
export function priceProblems(field: string, money: Money | undefined): FieldProblem[] {
  if (money === undefined) return [{ field, description: "is required" }];
  const problems: FieldProblem[] = [];
  if (money.amountMinor <= 0n) problems.push({ field: `${field}.amount_minor`, description: "must be positive" });
  else if (money.amountMinor > maxAmountMinor)
    problems.push({ field: `${field}.amount_minor`, description: `must be at most ${maxAmountMinor}` });
  if (!currencyCode.test(money.currency))
    problems.push({ field: `${field}.currency`, description: "must be an ISO 4217 code such as USD" });
  return problems;
}
