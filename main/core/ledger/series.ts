import type { EarningsSeries, EarningsStep } from '../../common/network.js';
import type { PickedSlots } from './slot-line.js';

/**
 * The earnings chart: bars whose length follows how much history the range holds (the first hour in minutes, the first
 * hours in 5 minutes, then hours, days and months), filled from the very slots and pending results the summary's total counts, so the bars
 * always add up to that total.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SIZE = { minute: MINUTE, '5m': 5 * MINUTE, hour: HOUR, day: DAY } as const;
/** The longest history each step is chosen for: at most about 60 bars of minutes, 72 of 5 minutes or hours, 92 of days. */
const LONGEST: readonly [EarningsStep, number][] = [
  ['minute', HOUR],
  ['5m', 6 * HOUR],
  ['hour', 3 * DAY],
  ['day', 92 * DAY],
];

/** The bar length for a chart covering `spanMs`. */
export const stepFor = (spanMs: number): EarningsStep => LONGEST.find(([, most]) => spanMs <= most)?.[0] ?? 'month';

/**
 * The start of the bar of `step` holding `at`. Days and months are cut at local midnight (`utcOffsetMinutes` east of
 * UTC); every offset in use is a whole number of quarter hours, so minutes, 5 minutes and hours fall on local boundaries too.
 */
export function barStart(at: number, step: EarningsStep, utcOffsetMinutes: number): number {
  const shift = utcOffsetMinutes * MINUTE;
  if (step !== 'month') return Math.floor((at + shift) / SIZE[step]) * SIZE[step] - shift;
  const local = new Date(at + shift);
  return Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), 1) - shift;
}

/** The start of the bar after the one starting at `start`. */
export function nextBar(start: number, step: EarningsStep, utcOffsetMinutes: number): number {
  if (step !== 'month') return start + SIZE[step];
  const shift = utcOffsetMinutes * MINUTE;
  const local = new Date(start + shift);
  return Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, 1) - shift;
}

/** What the chart covers: the query's range, and when the history (of the networks asked for) begins. */
export interface SeriesRange {
  fromMs?: number | undefined;
  toMs?: number | undefined;
  utcOffsetMinutes: number;
  /**
   * For a range with a start: the first slot or pending result of the whole history (null: none), so a short history
   * is drawn from its own start in fine bars. Without a start the range begins at its first entry.
   */
  historyStart: number | null;
}

/** Collects the summary's slots and pending results as it counts them, then lays them out in bars. */
export class Timeline {
  private readonly pending: { at: number; wei: bigint }[] = [];
  /** Runs of slots, summed a bar at a time (a year is ~100,000 slots, a chart at most ~100 bars). */
  private readonly runs: PickedSlots[] = [];

  addSlots(slots: PickedSlots): void {
    this.runs.push(slots);
  }

  addPending(at: number, wei: bigint): void {
    this.pending.push({ at, wei });
  }

  /**
   * Bars from the range's start (or the history's, when later) to its end (or the newest entry), empty ones
   * included. An entry before the first bar (a slot the range starts inside of) goes into the first bar, one past the
   * last into the last: each entry the total counts is in exactly one bar.
   */
  series(range: SeriesRange): EarningsSeries {
    // A loop, not Math.min(...times): a year of minute slots is more arguments than a call may take (RangeError).
    let earliest = Infinity;
    let latest = -Infinity;
    const spans = this.runs.flatMap((run) => run.span() ?? []);
    for (const at of this.pending.map((entry) => entry.at).concat(spans)) {
      earliest = Math.min(earliest, at);
      latest = Math.max(latest, at);
    }
    const first = range.fromMs === undefined ? earliest : Math.max(range.fromMs, range.historyStart ?? earliest);
    const end = range.toMs ?? latest + 1;
    const empty = this.pending.length + spans.length === 0;
    if (!Number.isFinite(first) || !Number.isFinite(end) || (end <= first && empty)) return { step: 'minute', bars: [] };
    const step = stepFor(end - first);
    const firstStart = barStart(first, step, range.utcOffsetMinutes);
    const starts = [firstStart];
    for (let s = nextBar(firstStart, step, range.utcOffsetMinutes); s < end; s = nextBar(s, step, range.utcOffsetMinutes)) starts.push(s);
    const bars = starts.map((start) => ({ start, confirmed: 0n, pending: 0n, receipts: 0 }));
    for (const p of this.pending) {
      const bar = bars[indexOf(starts, p.at)];
      if (bar) bar.pending += p.wei;
    }
    // Each bar takes the slots from its start to the next bar's; the first also those before, the last those after.
    bars.forEach((bar, i) => {
      for (const run of this.runs) {
        const sum = run.between(i === 0 ? -Infinity : bar.start, starts[i + 1] ?? Infinity);
        bar.confirmed += sum.wei;
        bar.receipts += sum.receipts;
      }
    });
    return {
      step,
      bars: bars.map((b) => ({ start: b.start, confirmedWei: String(b.confirmed), pendingWei: String(b.pending), receipts: b.receipts })),
    };
  }
}

/** The last bar starting at or before `at` (the first for an earlier time), by bisection: months differ in length. */
function indexOf(starts: readonly number[], at: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if ((starts[mid] ?? Infinity) <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
