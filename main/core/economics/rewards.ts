import type { ResourceType } from '../../common/protocol.js';

/** The seed's `BaseRates`, in SYNOR. */
export const BASE_RATES = {
  /** per TFLOP-s (GPU) */
  gpuTflops: 0.000001,
  /** per GFLOP-s (CPU) */
  cpuGflops: 0.00000001,
  /** per GB transferred */
  bandwidthGb: 0.001,
  /** per hour of availability */
  availabilityHour: 0.0001,
} as const;

const RATE: Record<ResourceType, number> = {
  gpu: BASE_RATES.gpuTflops,
  cpu: BASE_RATES.cpuGflops,
  bandwidth: BASE_RATES.bandwidthGb,
  availability: BASE_RATES.availabilityHour,
};

/** Floating-point operations → the unit its resource is paid in (TFLOP-s for GPUs, GFLOP-s for CPUs). */
export const computeWork = (resource: 'gpu' | 'cpu', operations: number): number =>
  operations / (resource === 'gpu' ? 1e12 : 1e9);

/**
 * Reputation (0–100) → 0.5×…2×. The seed gives only the range; we make a new device (50) earn exactly 1×,
 * falling linearly to 0.5× at 0 and rising linearly to 2× at 100.
 */
export function reputationMultiplier(reputation: number): number {
  const r = Math.min(100, Math.max(0, reputation));
  return r < 50 ? 0.5 + r / 100 : 1 + (r - 50) / 50;
}

/** Uptime (0–100 %) → 1×…1.2×: the seed's "up to 20 % extra", linear in uptime. */
export function uptimeMultiplier(uptimePercent: number): number {
  return 1 + 0.2 * (Math.min(100, Math.max(0, uptimePercent)) / 100);
}

export interface Contribution {
  resourceType: ResourceType;
  /** TFLOP-s, GFLOP-s, GB or hours, by resource type. */
  work: number;
  reputation: number;
  uptimePercent: number;
}

export interface Reward {
  base: number;
  reputationBonus: number;
  uptimeBonus: number;
  total: number;
}

/** The seed's `RewardCalculator::calculate_reward`, term for term (total = base × reputation × uptime). */
export function calculateReward(c: Contribution): Reward {
  const base = c.work * RATE[c.resourceType];
  const rep = reputationMultiplier(c.reputation);
  const up = uptimeMultiplier(c.uptimePercent);
  return { base, reputationBonus: base * (rep - 1), uptimeBonus: base * (up - 1), total: base * rep * up };
}

/** SYNOR (float) → wei, rounded to the nearest wei. Deterministic, so both ends derive the same integers. */
export const toWei = (synor: number): bigint => BigInt(Math.round(synor * 1e18));

/** A fixed-point integer as an exact decimal string (no float rounding): (1500n, 6) → "0.0015". */
export function formatFixed(value: bigint, decimals: number): string {
  const unit = 10n ** BigInt(decimals);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const fraction = (abs % unit).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${abs / unit}${fraction ? `.${fraction}` : ''}`;
}

/** wei → SYNOR, exactly. */
export const formatSynor = (wei: bigint): string => formatFixed(wei, 18);

export interface RewardWei {
  baseWei: string;
  reputationBonusWei: string;
  uptimeBonusWei: string;
  totalWei: string;
}

/** The split as it travels in a receipt. Work is carried ×10^9 (`workNano`) so the receipt stays integer-only. */
export function rewardWei(resourceType: ResourceType, workNano: bigint, reputation: number, uptimeBp: number): RewardWei {
  const r = calculateReward({ resourceType, work: Number(workNano) / 1e9, reputation, uptimePercent: uptimeBp / 100 });
  return {
    baseWei: toWei(r.base).toString(),
    reputationBonusWei: toWei(r.reputationBonus).toString(),
    uptimeBonusWei: toWei(r.uptimeBonus).toString(),
    totalWei: toWei(r.total).toString(),
  };
}
