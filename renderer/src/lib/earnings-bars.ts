import type { EarningsSeries, EarningsStep } from '../../../main/common/network.js';
import { formatDateTime, locale } from './locale.js';

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

const time = (ms: number, tag: string): string => formatDateTime(ms, { hour: '2-digit', minute: '2-digit' }, tag);

function label(start: number, step: EarningsStep, count: number, years: number, tag: string): string {
  if (step === 'minute' || step === '5m' || step === 'hour') return time(start, tag);
  if (step === 'day') return formatDateTime(start, count <= 7 ? { weekday: 'short' } : { day: 'numeric', month: 'short' }, tag);
  return formatDateTime(start, years > 1 ? { month: 'short', year: '2-digit' } : { month: 'short' }, tag);
}

function title(start: number, step: EarningsStep, tag: string): string {
  if (step === 'day') return formatDateTime(start, { weekday: 'long', day: 'numeric', month: 'long' }, tag);
  if (step === 'month') return formatDateTime(start, { month: 'long', year: 'numeric' }, tag);
  const end = start + { minute: 60_000, '5m': 300_000, hour: 3_600_000 }[step];
  return `${formatDateTime(start, { day: 'numeric', month: 'short' }, tag)}, ${time(start, tag)}–${time(end, tag)}`;
}

/** The bars of a series, oldest first; months show their year when the chart spans more than one. */
export function barsOf(series: EarningsSeries, tag = locale): Bar[] {
  const { step, bars } = series;
  const years = new Set(bars.map((b) => new Date(b.start).getFullYear())).size;
  return bars.map((b) => ({
    key: String(b.start),
    label: label(b.start, step, bars.length, years, tag),
    title: title(b.start, step, tag),
    confirmed: BigInt(b.confirmedWei),
    pending: BigInt(b.pendingWei),
  }));
}

/**
 * Which labels fit under bars spread evenly from `left` to `right`, and where (their middles): every k-th from the
 * newest, each moved inside the chart where it would be cut at an edge, and one that would then touch its neighbour
 * left out. `charWidth` is a generous width of one character, so an estimate never lets real text touch.
 */
export function axisLabels(
  labels: readonly string[],
  left: number,
  right: number,
  charWidth: number,
  gap: number,
): { index: number; x: number }[] {
  const slot = (right - left) / Math.max(1, labels.length);
  const width = (text: string): number => text.length * charWidth;
  const every = Math.max(1, Math.ceil((Math.max(0, ...labels.map(width)) + gap) / slot));
  const out: { index: number; x: number }[] = [];
  let limit = right;
  for (let i = labels.length - 1; i >= 0; i -= every) {
    const half = width(labels[i] ?? '') / 2;
    const x = Math.min(right - half, Math.max(left + half, left + i * slot + slot / 2));
    if (x + half > limit) continue;
    out.push({ index: i, x });
    limit = x - half - gap;
  }
  return out.reverse();
}
