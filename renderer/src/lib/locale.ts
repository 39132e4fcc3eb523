import { exactAmount, formatAmount, localizeDecimal } from '../../../main/common/money.js';

/**
 * The user's locale and every number, date and amount the page shows, written through Intl in it. The pseudo-locale
 * (`?lang=en-XA` in the page's address, or a browser whose first language is en-XA) shows every catalogue sentence
 * accented and in brackets (i18n/pseudo.ts), so a word that bypasses the catalogue stands out; its numbers and dates
 * are English.
 */

export const PSEUDO_LOCALE = 'en-XA';
/** When neither the address nor the browser names a language Intl knows. */
const FALLBACK = 'en-US';

/** `?lang=` in the address first, then the browser's languages in order: the first that is a valid language tag. */
export function chooseLocale(search: string, languages: readonly string[]): string {
  const asked = new URLSearchParams(search).get('lang');
  for (const tag of [asked, ...languages]) {
    if (!tag) continue;
    try {
      const [canonical] = Intl.getCanonicalLocales(tag);
      if (canonical) return canonical;
    } catch {
      // Not a language tag (a typo in the address): the next one decides.
    }
  }
  return FALLBACK;
}

// eslint-disable-next-line @typescript-eslint/consistent-type-assertions -- this also runs in Node's unit tests, which have no location or navigator
const page = globalThis as { location?: { search: string }; navigator?: { languages?: readonly string[] } };

export const locale = chooseLocale(page.location?.search ?? '', page.navigator?.languages ?? []);
export const pseudo = locale === PSEUDO_LOCALE;

/** The figures' and dates' locale: the pseudo-locale's are English. */
export const intlLocale = (tag: string): string => (tag === PSEUDO_LOCALE ? 'en' : tag);

const numberFormats = new Map<string, Intl.NumberFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** Formatters are costly to build and the page formats thousands of figures: one per locale and options. */
function numberFormat(tag: string, options: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  const key = `${tag} ${JSON.stringify(options)}`;
  let format = numberFormats.get(key);
  if (!format) numberFormats.set(key, (format = new Intl.NumberFormat(intlLocale(tag), options)));
  return format;
}

function dateFormat(tag: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${tag} ${JSON.stringify(options)}`;
  let format = dateFormats.get(key);
  if (!format) dateFormats.set(key, (format = new Intl.DateTimeFormat(intlLocale(tag), options)));
  return format;
}

/** A plain figure: "1,234.5" in English, "1.234,5" in German. */
export const formatNumber = (value: number | bigint, options?: Intl.NumberFormatOptions, tag = locale): string =>
  numberFormat(tag, options).format(value);

/** A figure with at most `digits` decimals: load averages, gigabytes, seconds. */
export const formatFixed = (value: number, digits = 1, tag = locale): string =>
  formatNumber(value, { minimumFractionDigits: digits, maximumFractionDigits: digits }, tag);

/** A percentage given from 0 to 100: "42%" in English, "42 %" in German and French. */
export const formatPercent = (percent: number, digits = 0, tag = locale): string =>
  formatNumber(percent / 100, { style: 'percent', maximumFractionDigits: digits }, tag);

/** Dollars at the user's price (display only: the float never feeds back into an amount); small ones by 2 digits. */
export function formatUsd(usd: number, tag = locale): string {
  const small = usd !== 0 && Math.abs(usd) < 0.01;
  return formatNumber(usd, { style: 'currency', currency: 'USD', ...(small ? { maximumSignificantDigits: 2 } : {}) }, tag);
}

/** An amount in wei by the one money rule (6 significant digits), in the locale's digits and separators. */
export const formatWei = (units: bigint, decimals = 18, tag = locale): string =>
  localizeDecimal(formatAmount(units, decimals), numberFormat(tag));

/** Every wei of an amount, in the locale's separators: for its title. */
export const formatWeiExact = (units: bigint, decimals = 18, tag = locale): string =>
  localizeDecimal(exactAmount(units, decimals), numberFormat(tag));

/** A date and time, by default "7 Dec 2026, 14:05". */
export const formatDateTime = (
  at: number,
  options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' },
  tag = locale,
): string => dateFormat(tag, options).format(at);

/** A calendar day kept as "2026-12-07" (local, as the fleet's days are), as the locale writes a date. */
export function formatDay(key: string, tag = locale): string {
  const [year = 1970, month = 1, day = 1] = key.split('-').map(Number);
  return formatDateTime(new Date(year, month - 1, day).getTime(), { dateStyle: 'medium' }, tag);
}

/** A time of day: "14:05:09" (or "2:05:09 PM"). */
export const formatTime = (at: number, tag = locale): string => formatDateTime(at, { timeStyle: 'medium' }, tag);
