import { rewardWei } from './rewards.js';
import type { MeterWindow, Stretch } from './meter.js';

/**
 * What this device earns per hour of sharing, in wei: the verified work its epochs paid for over the sharing time
 * they came in (gaps between tasks, pauses for the machine's own load and slower tasks beside other programs all
 * included), plus an hour's availability. No figure until enough is measured; then a range that narrows as the
 * measure grows and its pieces (one epoch each) agree.
 */
export interface EstimateInput {
  meter: MeterWindow;
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
/** A first figure needs this much sharing time, this many epochs after the first and this many paid tasks in them. */
export const MIN_MEASURED_MS = 2 * 60_000;
const MIN_PIECES = 3;
const MIN_TASKS = 10;
/** Half-width of the range below which the figure is called steady (the bench's goal is ±10 %). */
const STEADY_PPM = 100_000n;

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

interface Piece {
  wei: bigint;
  ms: number;
  busyMs: number;
  flops: bigint;
  tasks: number;
}

/**
 * One piece per epoch: its work over the sharing time since the epoch before (the first epoch only opens the measure:
 * its work may predate the sharing, and a start's first lease is not an hour's cost). With no epoch for twice the
 * usual time, the time since the last one is a piece that earned nothing (the network had no work, say).
 */
function pieces(meter: MeterWindow, now: number): Piece[] {
  const from = meter.stretches[0]?.from ?? now;
  const epochs = meter.paid.filter((e) => e.closedAt >= from);
  const out: Piece[] = [];
  for (const [i, e] of epochs.entries()) {
    const before = epochs[i - 1];
    if (!before) continue;
    const { ms, busyMs } = overlap(meter.stretches, before.closedAt, e.closedAt);
    out.push({ wei: e.wei, ms, busyMs, flops: e.flops, tasks: e.tasks });
  }
  const [first] = epochs;
  const last = epochs.at(-1);
  if (first && last && epochs.length > 1 && now - last.closedAt > (2 * (last.closedAt - first.closedAt)) / (epochs.length - 1)) {
    out.push({ wei: 0n, ...overlap(meter.stretches, last.closedAt, now), flops: 0n, tasks: 0 });
  }
  return out.filter((p) => p.ms > 0);
}

/** Wei per ms over the pieces (statistics only: the figure shown is counted in bigint wei). */
const rateOf = (ps: readonly Piece[]): number => ps.reduce((s, p) => s + Number(p.wei), 0) / ps.reduce((s, p) => s + p.ms, 0);

/** Two standard errors of the rate Σwei/Σms over the pieces, in wei per ms. */
function noise(ps: readonly Piece[], weiPerMs: number): number {
  const n = ps.length;
  // Statistics, not money: the spread may be a float; only the ppm it gives touches wei.
  const meanMs = ps.reduce((sum, p) => sum + p.ms, 0) / n;
  const squares = ps.reduce((sum, p) => sum + (Number(p.wei) - weiPerMs * p.ms) ** 2, 0);
  return (2 * Math.sqrt(squares / (n - 1) / n)) / meanMs;
}

/**
 * The pieces the figure is counted over: all of them, or only the newer half when the rate is still moving (the two
 * halves differ by more than the noise): on a new device the checks of its results fall, and its tasks grow, over its
 * first minutes, and the newest rate is the better guess of what comes next.
 */
function basis(ps: readonly Piece[]): readonly Piece[] {
  const all = rateOf(ps);
  const newer = ps.slice(Math.floor(ps.length / 2));
  return Math.abs(rateOf(newer) - all) > noise(ps, all) ? newer : ps;
}

/**
 * How unsure the rate is, in parts per million of it: ±2 standard errors of the ratio Σwei/Σms over the pieces, plus
 * half the gap between the rates of the older and the newer half of them (a rate still moving is not known yet);
 * the whole rate while the pieces are too few to tell.
 */
function halfWidthPpm(ps: readonly Piece[], weiPerMs: number): bigint {
  const n = ps.length;
  if (n < MIN_PIECES || weiPerMs <= 0) return 1_000_000n;
  const drift = Math.abs(rateOf(ps.slice(Math.floor(n / 2))) - rateOf(ps.slice(0, Math.ceil(n / 2)))) / 2;
  return BigInt(Math.min(1_000_000, Math.ceil(((noise(ps, rateOf(ps)) + drift) / weiPerMs) * 1e6)));
}

const widen = (mid: bigint, ppm: bigint, plus: bigint): WeiRange => ({
  low: ((mid * (1_000_000n - ppm)) / 1_000_000n + plus).toString(),
  mid: (mid + plus).toString(),
  high: ((mid * (1_000_000n + ppm)) / 1_000_000n + plus).toString(),
});

export function estimateEarnings(input: EstimateInput): EarningsEstimate {
  const ps = pieces(input.meter, input.now);
  const sum = ps.reduce((a, p) => ({ ...a, wei: a.wei + p.wei, ms: a.ms + p.ms, busyMs: a.busyMs + p.busyMs, flops: a.flops + p.flops }), {
    wei: 0n,
    ms: 0,
    busyMs: 0,
    flops: 0n,
  });
  const base = {
    measuredMs: sum.ms,
    neededMs: MIN_MEASURED_MS,
    busyPercent: sum.ms > 0 ? Math.round((sum.busyMs / sum.ms) * 100) : 0,
    sharePercent: Math.round(input.meter.share * 100),
    flopsPerHour: sum.ms > 0 ? ((sum.flops * BigInt(HOUR_MS)) / BigInt(sum.ms)).toString() : '0',
  };
  const tasks = ps.reduce((n, p) => n + p.tasks, 0);
  if (sum.ms < MIN_MEASURED_MS || ps.length < MIN_PIECES || tasks < MIN_TASKS) {
    return { ...base, confidence: 'measuring', perHourWei: null, perMonthWei: null };
  }
  const counted = basis(ps);
  const weiCounted = counted.reduce((s, p) => s + p.wei, 0n);
  const msCounted = counted.reduce((s, p) => s + p.ms, 0);
  const ppm = halfWidthPpm(ps, Number(weiCounted) / msCounted);
  const perHour = (weiCounted * BigInt(HOUR_MS)) / BigInt(msCounted);
  // Availability is paid by the hour online, in lumps of minutes: added at its rate, not measured from the lumps.
  const availability = BigInt(rewardWei('availability', BigInt(HOUR_MS), input.reputation, input.uptimeBp).totalWei);
  const perHourWei = widen(perHour, ppm, availability);
  const days = BigInt(Math.round(input.hoursPerDay * 1000)) * BigInt(DAYS_PER_MONTH);
  const month = (wei: string): string => ((BigInt(wei) * days) / 1000n).toString();
  return {
    ...base,
    confidence: ppm <= STEADY_PPM ? 'steady' : 'range',
    perHourWei,
    perMonthWei: { low: month(perHourWei.low), mid: month(perHourWei.mid), high: month(perHourWei.high) },
  };
}
