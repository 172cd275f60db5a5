/** An amount in a currency's minor units (cents for USD), as the ledger books it. */
export interface Money {
  readonly amountMinor: bigint;
  readonly currency: string;
}

/**
 * The largest single charge or refund accepted: 10^12 minor units (ten billion dollars). Far
 * above any shop order, far below int64, so sums of refunds can never overflow the column.
 */
export const maxAmountMinor = 1_000_000_000_000n;

/** ISO 4217 codes the runtime knows (ICU's list), upper case. */
const knownCurrencies: ReadonlySet<string> = new Set(Intl.supportedValuesOf("currency"));

/** Whether `code` is an upper-case ISO 4217 alphabetic currency code such as `USD`. */
export function isCurrencyCode(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && knownCurrencies.has(code);
}
