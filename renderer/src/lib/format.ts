/** SYNOR and native amounts arrive as integer strings of base units (18 decimals): shown exactly, trimmed. */
export function formatUnits(amount: string, decimals = 18, maxFraction = 9): string {
  const digits = amount.replace(/^0+/, '').padStart(decimals + 1, '0');
  const whole = digits.slice(0, -decimals);
  const fraction = digits.slice(-decimals).slice(0, maxFraction).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

/** Decimal SYNOR strings ("0.0000012") as they come from the ledger, trimmed for display. */
export const formatSynor = (decimal: string, maxFraction = 9): string => {
  const [whole = '0', fraction = ''] = decimal.split('.');
  const shown = fraction.slice(0, maxFraction).replace(/0+$/, '');
  return shown ? `${whole}.${shown}` : whole;
};

/** "0.0000012" SYNOR → wei, exactly (the ledger's decimals have at most 18 places; a reputation bonus may be negative). */
export function toWei(decimal: string, decimals = 18): bigint {
  const text = decimal.trim();
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = text.replace(/^[-+]/, '').split('.');
  const wei = BigInt(whole || '0') * 10n ** BigInt(decimals) + BigInt(fraction.slice(0, decimals).padEnd(decimals, '0') || '0');
  return negative ? -wei : wei;
}

/** Wei per hour over `ms` milliseconds (integer arithmetic; at least one second so a first receipt is not a spike). */
export const perHour = (wei: bigint, ms: number): bigint => (wei * 3_600_000n) / BigInt(Math.max(1000, Math.round(ms)));

/** Dollars for a wei amount at a price per SYNOR (display only: the float never feeds back into an amount). */
export const usdOf = (wei: bigint, usdPerSynor: number): string => {
  const usd = (Number(wei / 10n ** 9n) / 1e9) * usdPerSynor;
  return usd >= 0.01 || usd === 0 ? `$${usd.toFixed(2)}` : `$${usd.toPrecision(2)}`;
};
