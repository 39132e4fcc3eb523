/**
 * The one rule for showing an amount of SYNOR (or another 18-decimal token) to a person, used by the page and by the
 * agent's own sentences (notifications, the activity log): 6 significant digits, rounded half away from zero, trailing
 * zeros dropped. Exact to the wei where that is needed: `exactAmount`, shown on hover.
 */
export const SIGNIFICANT_DIGITS = 6;

/** `units` of a token with `decimals` decimals as an exact decimal: (1500n, 6) → "0.0015". */
export function exactAmount(units: bigint, decimals = 18): string {
  const unit = 10n ** BigInt(decimals);
  const abs = units < 0n ? -units : units;
  const fraction = (abs % unit).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${units < 0n ? '-' : ''}${abs / unit}${fraction ? `.${fraction}` : ''}`;
}

/** `units` rounded to 6 significant digits, as a decimal: 1_280_789_051_589n → "0.00000128079". */
export function formatAmount(units: bigint, decimals = 18): string {
  const abs = units < 0n ? -units : units;
  const cut = abs.toString().length - SIGNIFICANT_DIGITS;
  if (cut <= 0) return exactAmount(units, decimals);
  const step = 10n ** BigInt(cut);
  const rounded = ((abs + step / 2n) / step) * step;
  return exactAmount(units < 0n ? -rounded : rounded, decimals);
}

/** A decimal amount ("0.0000012", as a person types it or an older log line holds it) → its integer units, exactly. */
export function parseAmount(decimal: string, decimals = 18): bigint {
  const text = decimal.trim();
  const [whole = '0', fraction = ''] = text.replace(/^[-+]/, '').split('.');
  const units = BigInt(whole || '0') * 10n ** BigInt(decimals) + BigInt(fraction.slice(0, decimals).padEnd(decimals, '0') || '0');
  return text.startsWith('-') ? -units : units;
}

/**
 * A decimal ("-1234.0015", as `formatAmount` gives it) written with a locale's digits, grouping and decimal sign, never
 * through a float: the integer part is formatted as a bigint by `format` (an `Intl.NumberFormat` with its default
 * fraction digits, whose decimal sign is read from how it writes 1.5) and the fraction digit by digit, so every digit
 * the money rule kept is shown.
 */
export function localizeDecimal(decimal: string, format: Intl.NumberFormat): string {
  const negative = decimal.startsWith('-');
  const [whole = '0', fraction = ''] = decimal.replace(/^[-+]/, '').split('.');
  const sign = format.formatToParts(1.5).find((part) => part.type === 'decimal')?.value ?? '.';
  const digits = fraction.replace(/\d/g, (digit) => format.format(BigInt(digit)));
  const body = `${format.format(BigInt(whole))}${fraction ? `${sign}${digits}` : ''}`;
  // The locale's minus sign and its place, taken from how it writes -1 (a zero whole part has no sign of its own).
  return negative ? format.format(-1n).replace(format.format(1n), body) : body;
}
