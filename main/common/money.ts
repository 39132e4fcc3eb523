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

/** A decimal amount ("0.0000012", as the ledger's sums give it) → its integer units, exactly; a leading - is kept. */
export function parseAmount(decimal: string, decimals = 18): bigint {
  const text = decimal.trim();
  const [whole = '0', fraction = ''] = text.replace(/^[-+]/, '').split('.');
  const units = BigInt(whole || '0') * 10n ** BigInt(decimals) + BigInt(fraction.slice(0, decimals).padEnd(decimals, '0') || '0');
  return text.startsWith('-') ? -units : units;
}
