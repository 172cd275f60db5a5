/** An amount in minor units of an ISO 4217 currency, as orders events carry it. */
export interface Amount {
  amountMinor: bigint;
  currency: string;
}

/**
 * `€12.34`-style text for an amount, exact for any size (the decimal is built from the bigint,
 * not through a float). An unknown currency code falls back to `1234 minor units of XYZ`.
 */
export function formatAmount({ amountMinor, currency }: Amount): string {
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat("en", { style: "currency", currency });
  } catch {
    return `${amountMinor} minor units of ${currency || "an unknown currency"}`;
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  const negative = amountMinor < 0n;
  const magnitude = (negative ? -amountMinor : amountMinor).toString().padStart(digits + 1, "0");
  const whole = magnitude.slice(0, magnitude.length - digits);
  const fraction = magnitude.slice(magnitude.length - digits);
  const decimal: Intl.StringNumericLiteral =
    `${negative ? "-" : ""}${whole}${digits > 0 ? `.${fraction}` : ""}` as Intl.StringNumericLiteral;
  // Intl formats decimal strings exactly (ECMA-402 "NumberFormat v3").
  return format.format(decimal);
}
