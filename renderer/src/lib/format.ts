import { parseAmount } from '../../../main/common/money.js';
import { t } from '../i18n/en.js';
import { formatUsd, formatWei, formatWeiExact } from './locale.js';

/**
 * Money in the page: SYNOR is the unit; every amount arrives in wei and is shown by one rule (main/common/money.ts: 6
 * significant digits, rounded), the exact figure on hover.
 */

/** wei (an integer string or bigint) → "0.00000128079" ("0,00000128079" in German). `decimals` for another token. */
export const formatUnits = (amount: string | bigint, decimals = 18): string => formatWei(BigInt(amount), decimals);

/**
 * The amounts in a sentence the agent wrote ("0.000001280789051589 SYNOR can be claimed"), shown by the same rule in
 * the page's locale: the activity log keeps entries written before the rule, with every decimal.
 */
export const amountsIn = (sentence: string): string =>
  sentence.replace(/-?\d+\.\d+(?= (test )?SYNOR\b)/g, (decimal) => formatUnits(parseAmount(decimal)));

/** Every wei of an amount, for its title: "0.000001280789051589 SYNOR". */
export const exactSynor = (wei: string | bigint): string => t.synorAmount(formatWeiExact(BigInt(wei)));

/** Wei per hour over `ms` milliseconds (integer arithmetic; at least one second so a first receipt is not a spike). */
export const perHour = (wei: bigint, ms: number): bigint => (wei * 3_600_000n) / BigInt(Math.max(1000, Math.round(ms)));

/** Dollars for a wei amount at the user's price per SYNOR (display only: the float never feeds back into an amount). */
export const usdOf = (wei: bigint, usdPerSynor: number): string => formatUsd((Number(wei / 10n ** 9n) / 1e9) * usdPerSynor);
