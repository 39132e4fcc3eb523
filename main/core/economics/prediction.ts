import type { ComputeResource } from '../../common/protocol.js';
import { formatSynor, rewardWei } from './rewards.js';

/**
 * What this device should earn, in SYNOR, from the same reward function its receipts are paid by: its throughput
 * × its share × the hours it is expected to be available, at its current reputation and uptime. The seed's
 * dollars-per-hour table stays beside it as the network's published figure and implies a SYNOR price.
 */
export interface PredictionInput {
  resource: ComputeResource;
  /**
   * FLOP per millisecond while it works. `tasks`: measured on its own recent tasks, which ran under the share in
   * force; `benchmark`: the hardware benchmark at full use, scaled here by the share.
   */
  throughput: { flopsPerMs: number; source: 'tasks' | 'benchmark'; bandwidthRatio?: number };
  /** The effective share, 0–1 (efficiency mode included). */
  share: number;
  /** Hours a day the device is expected to share. */
  hoursPerDay: number;
  reputation: number;
  uptimeBp: number;
  /** The seed's USD per hour at full use for this kind of device. */
  hourlyUsd: number;
}

export interface Prediction {
  perHourWei: string;
  perMonthWei: string;
  /** Compute FLOP per hour the prediction rests on. */
  flopsPerHour: string;
  /** The SYNOR price at which the seed's $/hour table and the reward rates agree (full use, bonuses at 1×). */
  impliedUsdPerSynor: number | null;
  assumptions: string[];
}

const HOUR_MS = 3_600_000;
const DAYS_PER_MONTH = 30;

export function predictEarnings(input: PredictionInput): Prediction {
  const share = Math.min(1, Math.max(0, input.share));
  const working = input.throughput.source === 'tasks' ? input.throughput.flopsPerMs : input.throughput.flopsPerMs * share;
  const flopsPerHour = BigInt(Math.floor(working * HOUR_MS));
  // An hour of sharing earns its compute, the data its tasks move (as on its recent tasks) and an hour of availability.
  const computeWei = BigInt(rewardWei(input.resource, flopsPerHour, input.reputation, input.uptimeBp).totalWei);
  const transferPpm = BigInt(Math.round((input.throughput.bandwidthRatio ?? 0) * 1e6));
  const availabilityWei = BigInt(rewardWei('availability', BigInt(HOUR_MS), input.reputation, input.uptimeBp).totalWei);
  const perHour = computeWei + (computeWei * transferPpm) / 1_000_000n + availabilityWei;
  const perMonth = (perHour * BigInt(Math.round(input.hoursPerDay * 1000)) * BigInt(DAYS_PER_MONTH)) / 1000n;
  // Full use at 1×, as the seed's table is quoted.
  const fullFlopsPerHour = BigInt(
    Math.floor((input.throughput.source === 'tasks' && share > 0 ? working / share : input.throughput.flopsPerMs) * HOUR_MS),
  );
  const fullWei =
    BigInt(rewardWei(input.resource, fullFlopsPerHour, 50, 0).totalWei) +
    BigInt(rewardWei('availability', BigInt(HOUR_MS), 50, 0).totalWei);
  const fullSynor = Number(formatSynor(fullWei));
  const gflops = working / 1e6;
  return {
    perHourWei: perHour.toString(),
    perMonthWei: perMonth.toString(),
    flopsPerHour: flopsPerHour.toString(),
    impliedUsdPerSynor: fullSynor > 0 ? input.hourlyUsd / fullSynor : null,
    assumptions: [
      input.throughput.source === 'tasks'
        ? `${gflops.toFixed(1)} GFLOPS while working, measured on this device's recent tasks`
        : `${gflops.toFixed(1)} GFLOPS while working: the benchmark's ${(input.throughput.flopsPerMs / 1e6).toFixed(1)} GFLOPS at a ${Math.round(share * 100)} % share (no tasks measured yet)`,
      `paid at the network's ${input.resource === 'gpu' ? 'GPU' : 'CPU'} rate, reputation ${input.reputation} and uptime ${(input.uptimeBp / 100).toFixed(0)} %, plus availability time${input.throughput.bandwidthRatio ? ` and ${(input.throughput.bandwidthRatio * 100).toFixed(1)} % more for the data tasks move, as on recent tasks` : ''}`,
      `${input.hoursPerDay.toFixed(1)} hours of sharing a day, 30 days a month`,
    ],
  };
}
