import type { EarningsSeries, EarningsStep } from '../../../main/common/network.js';

/**
 * The earnings chart's bars as the page draws them: the agent's series (its bar length chosen by how much history
 * there is) with the words under each bar and in its tooltip, in the user's locale. Amounts stay wei.
 */

export interface Bar {
  key: string;
  /** Under the bar: "14:05", "Tue", "3 Dec", "Dec". The chart shows as many as fit. */
  label: string;
  /** The bar's whole time, for its tooltip: "7 Dec, 14:00–15:00", "Tuesday 3 December", "December 2026". */
  title: string;
  confirmed: bigint;
  pending: bigint;
}

const time = (ms: number, locale: string | undefined): string =>
  new Date(ms).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });

function label(start: number, step: EarningsStep, count: number, years: number, locale: string | undefined): string {
  const date = new Date(start);
  if (step === 'minute' || step === '5m' || step === 'hour') return time(start, locale);
  if (step === 'day') return date.toLocaleDateString(locale, count <= 7 ? { weekday: 'short' } : { day: 'numeric', month: 'short' });
  return date.toLocaleDateString(locale, years > 1 ? { month: 'short', year: '2-digit' } : { month: 'short' });
}

function title(start: number, step: EarningsStep, locale: string | undefined): string {
  const date = new Date(start);
  if (step === 'day') return date.toLocaleDateString(locale, { weekday: 'long', day: 'numeric', month: 'long' });
  if (step === 'month') return date.toLocaleDateString(locale, { month: 'long', year: 'numeric' });
  const end = start + { minute: 60_000, '5m': 300_000, hour: 3_600_000 }[step];
  return `${date.toLocaleDateString(locale, { day: 'numeric', month: 'short' })}, ${time(start, locale)}–${time(end, locale)}`;
}

/** The bars of a series, oldest first; months show their year when the chart spans more than one. */
export function barsOf(series: EarningsSeries, locale?: string): Bar[] {
  const { step, bars } = series;
  const years = new Set(bars.map((b) => new Date(b.start).getFullYear())).size;
  return bars.map((b) => ({
    key: String(b.start),
    label: label(b.start, step, bars.length, years, locale),
    title: title(b.start, step, locale),
    confirmed: BigInt(b.confirmedWei),
    pending: BigInt(b.pendingWei),
  }));
}
