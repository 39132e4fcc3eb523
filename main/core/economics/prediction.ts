import type { Receipt } from '../../common/protocol.js';
import { rewardWei } from './rewards.js';
import type { SharingWindow, Stretch } from './sharing-time.js';

/**
 * What this device earns per hour of sharing, in wei: the verified work its receipts paid for over the sharing time
 * they came in (gaps between tasks, pauses for the machine's own load and slower tasks beside other programs all
 * included), plus an hour's availability. No figure until enough is measured; then a range that narrows as the
 * measure grows and its pieces agree.
 */
export interface EstimateInput {
  /** This device's newest receipts, oldest first. */
  receipts: readonly Pick<Receipt, 'resourceType' | 'status' | 'units' | 'totalWei' | 'durationMs' | 'issuedAt'>[];
  sharing: SharingWindow;
  /** Whether results wait for their receipt: then the receipts lag the work, and the measure ends at the newest. */
  pending: boolean;
  now: number;
  reputation: number;
  uptimeBp: number;
  /** Hours a day the device is expected to share. */
  hoursPerDay: number;
}

export interface WeiRange {
  low: string;
  mid: string;
  high: string;
}

export interface EarningsEstimate {
  /** `measuring`: too little work to say; `range`: a figure, still uncertain by more than ±10 %; `steady`: within it. */
  confidence: 'measuring' | 'range' | 'steady';
  perHourWei: WeiRange | null;
  perMonthWei: WeiRange | null;
  /** Sharing time measured, and the time a first figure needs (ms). */
  measuredMs: number;
  neededMs: number;
  /** Percent of the measured time the device waited for the machine's own load (your programs, heat). */
  busyPercent: number;
  /** Compute FLOP per hour of sharing the figure rests on. */
  flopsPerHour: string;
  /** The share the measure was taken at, 0–100. */
  sharePercent: number;
}

const HOUR_MS = 3_600_000;
const DAYS_PER_MONTH = 30;
/** A first figure needs this much sharing time and this many paid tasks in it. */
export const MIN_MEASURED_MS = 2 * 60_000;
const MIN_TASKS = 10;
/** The measure is cut into pieces of this much sharing time; how much they disagree is how unsure the figure is. */
const SLICE_MS = 20_000;
/** Half-width of the range below which the figure is called steady (the bench's goal is ±10 %). */
const STEADY_PPM = 100_000n;

const isCompute = (r: { resourceType: string }): boolean => r.resourceType === 'cpu' || r.resourceType === 'gpu';

/** Sharing time in `stretches` between `from` and `to`, and of it the time waiting for the machine's own load. */
function overlap(stretches: readonly Stretch[], from: number, to: number): { ms: number; busyMs: number } {
  let ms = 0;
  let busyMs = 0;
  for (const s of stretches) {
    const d = Math.max(0, Math.min(s.to, to) - Math.max(s.from, from));
    ms += d;
    if (!s.running) busyMs += d;
  }
  return { ms, busyMs };
}

/** ±2 standard errors of the pieces' mean rate, in parts per million of it (the whole range when they are too few). */
function halfWidthPpm(slices: readonly bigint[]): bigint {
  const n = slices.length;
  const mean = slices.reduce((a, b) => a + b, 0n) / BigInt(Math.max(1, n));
  if (n < 3 || mean <= 0n) return 1_000_000n;
  // Statistics, not money: the spread of the pieces may be a float; only the ppm it gives touches wei.
  const m = Number(mean);
  const variance = slices.reduce((sum, s) => sum + (Number(s) - m) ** 2, 0) / (n - 1);
  return BigInt(Math.min(1_000_000, Math.ceil((2 * Math.sqrt(variance / n) * 1e6) / m)));
}

const range = (mid: bigint, ppm: bigint, plus: bigint): WeiRange => ({
  low: ((mid * (1_000_000n - ppm)) / 1_000_000n + plus).toString(),
  mid: (mid + plus).toString(),
  high: ((mid * (1_000_000n + ppm)) / 1_000_000n + plus).toString(),
});

export function estimateEarnings(input: EstimateInput): EarningsEstimate {
  const { stretches, share } = input.sharing;
  const from = stretches[0]?.from ?? input.now;
  const paid = input.receipts.filter((r) => r.resourceType !== 'availability' && r.issuedAt > from);
  const tasks = paid.filter(isCompute);
  // From the first task's start (not from "share on": the first lease and download are a start's cost, not an
  // hour's), to now, or to the newest receipt while results still wait for theirs.
  const first = tasks[0];
  const start = first ? Math.max(from, first.issuedAt - first.durationMs) : input.now;
  const end = input.pending ? Math.min(input.now, tasks.at(-1)?.issuedAt ?? start) : input.now;
  const { ms, busyMs } = overlap(stretches, start, end);
  const counted = paid.filter((r) => r.issuedAt <= end);
  const base = {
    measuredMs: ms,
    neededMs: MIN_MEASURED_MS,
    busyPercent: ms > 0 ? Math.round((busyMs / ms) * 100) : 0,
    sharePercent: Math.round(share * 100),
  };
  const flops = counted.reduce((sum, r) => (isCompute(r) && r.status !== 'rejected' ? sum + BigInt(r.units) : sum), 0n);
  const flopsPerHour = ms > 0 ? ((flops * BigInt(HOUR_MS)) / BigInt(ms)).toString() : '0';
  if (ms < MIN_MEASURED_MS || counted.filter(isCompute).length < MIN_TASKS) {
    return { ...base, confidence: 'measuring', perHourWei: null, perMonthWei: null, flopsPerHour };
  }
  // Each piece: the wei paid in a whole slice of sharing time (a receipt in the slice that ends at or after it), per hour.
  const slices = Array.from({ length: Math.floor(ms / SLICE_MS) }, () => 0n);
  for (const r of counted) {
    const at = Math.max(0, Math.ceil(overlap(stretches, start, r.issuedAt).ms / SLICE_MS) - 1);
    if (at < slices.length) slices[at]! += (BigInt(r.totalWei) * BigInt(HOUR_MS)) / BigInt(SLICE_MS);
  }
  const wei = counted.reduce((sum, r) => sum + BigInt(r.totalWei), 0n);
  const ppm = halfWidthPpm(slices);
  const perHour = (wei * BigInt(HOUR_MS)) / BigInt(ms);
  // Availability is paid by the hour online, in lumps of minutes: added at its rate, not measured from the lumps.
  const availability = BigInt(rewardWei('availability', BigInt(HOUR_MS), input.reputation, input.uptimeBp).totalWei);
  const perMonthFactor = BigInt(Math.round(input.hoursPerDay * 1000)) * BigInt(DAYS_PER_MONTH);
  const month = (w: string): string => ((BigInt(w) * perMonthFactor) / 1000n).toString();
  const perHourWei = range(perHour, ppm, availability);
  return {
    ...base,
    confidence: ppm <= STEADY_PPM ? 'steady' : 'range',
    perHourWei,
    perMonthWei: { low: month(perHourWei.low), mid: month(perHourWei.mid), high: month(perHourWei.high) },
    flopsPerHour,
  };
}
