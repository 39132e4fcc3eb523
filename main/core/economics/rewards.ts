import type { ResourceType } from '../../common/protocol.js';

/**
 * The seed's RewardCalculator in exact integer arithmetic (docs/protocol.md, "Reward arithmetic"; the vectors in
 * docs/receipt-vectors.json). Work is counted in integer units, amounts are integer wei, and every division
 * rounds down, so any implementation that follows the doc derives the same wei.
 */

/** What one unit of each resource is: the seed's rates are per TFLOP-s, GFLOP-s, GB and hour. */
export const WORK_UNIT: Record<ResourceType, string> = {
  gpu: 'floating-point operations',
  cpu: 'floating-point operations',
  bandwidth: 'bytes',
  availability: 'milliseconds',
};

/**
 * wei per unit as an exact fraction, from the seed's BaseRates: GPU 0.000001 SYNOR/TFLOP → 1 wei/FLOP; CPU
 * 0.00000001 SYNOR/GFLOP → 10 wei/FLOP; bandwidth 0.001 SYNOR/GB → 10^6 wei/byte; availability 0.0001 SYNOR/h
 * → 10^14 wei per 3,600,000 ms = 250,000,000/9 wei/ms.
 */
export const RATE_WEI: Record<ResourceType, { num: bigint; den: bigint }> = {
  gpu: { num: 1n, den: 1n },
  cpu: { num: 10n, den: 1n },
  bandwidth: { num: 1_000_000n, den: 1n },
  availability: { num: 250_000_000n, den: 9n },
};

/** The seed's rates in SYNOR, for people (estimates and the Earnings page's assumptions). */
export const BASE_RATES = { gpuTflops: 0.000001, cpuGflops: 0.00000001, bandwidthGb: 0.001, availabilityHour: 0.0001 } as const;

/**
 * Reputation (integer 0–100) → multiplier in basis points, 0.5×…2×: the seed gives only the range; a new device
 * (50) earns exactly 1×, falling linearly to 0.5× at 0 and rising linearly to 2× at 100.
 */
export function reputationBp(reputation: number): bigint {
  const r = BigInt(Math.min(100, Math.max(0, Math.trunc(reputation))));
  return r < 50n ? 5_000n + 100n * r : 10_000n + 200n * (r - 50n);
}

/** Uptime (basis points, 0–10,000) → multiplier in parts per million, 1×…1.2×: the seed's "up to 20 % extra". */
export function uptimePpm(uptimeBp: number): bigint {
  return 1_000_000n + 20n * BigInt(Math.min(10_000, Math.max(0, Math.trunc(uptimeBp))));
}

export interface RewardWei {
  baseWei: string;
  reputationBonusWei: string;
  uptimeBonusWei: string;
  totalWei: string;
}

export const NO_REWARD: RewardWei = { baseWei: '0', reputationBonusWei: '0', uptimeBonusWei: '0', totalWei: '0' };

/**
 * base = ⌊units·num/den⌋, afterReputation = ⌊base·repBp/10⁴⌋, total = ⌊afterReputation·uptimePpm/10⁶⌋. The
 * bonuses are the steps between them, so base + reputationBonus + uptimeBonus = total exactly (the reputation
 * bonus is negative below reputation 50). Total equals the seed's base × reputation × uptime, rounded down.
 */
export function rewardWei(resourceType: ResourceType, units: bigint, reputation: number, uptimeBp: number): RewardWei {
  if (units < 0n) throw new RangeError('work units cannot be negative');
  const rate = RATE_WEI[resourceType];
  const base = (units * rate.num) / rate.den;
  const afterReputation = (base * reputationBp(reputation)) / 10_000n;
  const total = (afterReputation * uptimePpm(uptimeBp)) / 1_000_000n;
  return {
    baseWei: base.toString(),
    reputationBonusWei: (afterReputation - base).toString(),
    uptimeBonusWei: (total - afterReputation).toString(),
    totalWei: total.toString(),
  };
}
