import type { DeviceType } from '../../common/protocol.js';

/** The seed's `EarningsEstimator` hourly rates, USD per hour of full use. */
export function hourlyUsd(device: DeviceType): number {
  switch (device.kind) {
    case 'data-center-gpu':
      return 0.5;
    case 'consumer-gpu':
      return 0.1;
    case 'apple-silicon':
      return 0.05;
    case 'cpu':
      return 0.01;
    case 'mobile':
      return 0.005;
    case 'browser':
      return 0.002;
    // The seed's table has no row for these: its catch-all arm pays them as a CPU.
    case 'tpu':
    case 'custom-accelerator':
      return 0.01;
  }
}

/**
 * Rough extra power draw while working at full share, when nothing better is known (no measured TDP): typical
 * board power for GPUs, a few watts per CPU thread. Shown to the user as an assumption they can correct.
 */
export function typicalPowerWatts(device: DeviceType): number {
  switch (device.kind) {
    case 'data-center-gpu':
      return 350;
    case 'consumer-gpu':
      return 220;
    case 'apple-silicon':
      return 25;
    case 'cpu':
      return Math.min(150, 6 * Math.max(1, device.threads));
    case 'mobile':
      return 5;
    case 'browser':
      return 15;
    // No typical figure for these: a middling board's, which the user can correct.
    case 'tpu':
    case 'custom-accelerator':
      return 100;
  }
}

export interface MonthlyEarnings {
  /** 50 % utilization */
  low: number;
  /** 70 % utilization */
  medium: number;
  /** 100 % utilization */
  high: number;
}

export const UTILIZATION: MonthlyEarnings = { low: 0.5, medium: 0.7, high: 1 };
const DAYS_PER_MONTH = 30;

const scenarios = (f: (utilization: number) => number): MonthlyEarnings => ({
  low: f(UTILIZATION.low),
  medium: f(UTILIZATION.medium),
  high: f(UTILIZATION.high),
});

/** The seed's `EarningsEstimator::estimate_monthly`. */
export function estimateMonthly(device: DeviceType, hoursPerDay: number): MonthlyEarnings {
  const monthly = hourlyUsd(device) * hoursPerDay * DAYS_PER_MONTH;
  return scenarios((u) => monthly * u);
}

/** Average hours per day a 7×24 schedule allows; no schedule means all day. */
export function scheduledHoursPerDay(week: readonly (readonly boolean[])[] | null): number {
  if (!week) return 24;
  return week.reduce((sum, day) => sum + day.filter(Boolean).length, 0) / 7;
}

export interface ProjectionInput {
  device: DeviceType;
  /** From the user's schedule (`scheduledHoursPerDay`). */
  scheduledHoursPerDay: number;
  /** Share of scheduled time the machine was really online (`availableFractionFrom`); null with under a day of history. */
  availableFraction: number | null;
  /** The device's effective share, 0–100 (policy/share.ts effectiveShare: efficiency mode halves it): work and power scale with it. */
  sharePercent: number;
  /** Extra power the device draws while working, in watts. */
  powerWatts: number;
  /** The user's electricity price per kWh, in USD. */
  tariffPerKwh: number;
}

export interface Projection {
  /** Hours per day the device is expected to be available to the network. */
  hoursPerDay: number;
  gross: MonthlyEarnings;
  electricity: MonthlyEarnings;
  net: MonthlyEarnings;
  /** Plain sentences saying what the numbers rest on. */
  assumptions: string[];
}

/** Four decimals: enough to work a figure out again by hand, no float noise. */
const round = (n: number): number => Math.round(n * 10_000) / 10_000;

/** History shorter than this says too little about a week: the half-time assumption stands until then. */
const MIN_HISTORY_HOURS = 24;

/**
 * The share of its scheduled time the device was really online, from its own history: the hours its coordinator paid
 * as online over the hours its schedule offered since then (at most 1). Null while the history is under a day long.
 */
export function availableFractionFrom(onlineHours: number, scheduledHoursPerDay: number, historyHours: number): number | null {
  if (historyHours < MIN_HISTORY_HOURS || scheduledHoursPerDay <= 0) return null;
  return Math.min(1, onlineHours / ((scheduledHoursPerDay * historyHours) / 24));
}

/** Without idle history we assume the machine is free half of its scheduled time, and say so. */
const DEFAULT_AVAILABLE_FRACTION = 0.5;

/** This user's month: the seed's rates over the hours their settings allow, minus electricity, per utilization. */
export function projectMonthly(input: ProjectionInput): Projection {
  const available = input.availableFraction ?? DEFAULT_AVAILABLE_FRACTION;
  const share = Math.min(100, Math.max(0, input.sharePercent)) / 100;
  const hoursPerDay = input.scheduledHoursPerDay * available;
  const rate = hourlyUsd(input.device) * share;
  const kwhPerHour = (input.powerWatts * share) / 1000;
  const gross = scenarios((u) => rate * hoursPerDay * u * DAYS_PER_MONTH);
  const electricity = scenarios((u) => kwhPerHour * input.tariffPerKwh * hoursPerDay * u * DAYS_PER_MONTH);
  const net = { low: gross.low - electricity.low, medium: gross.medium - electricity.medium, high: gross.high - electricity.high };
  const assumptions = [
    `${input.scheduledHoursPerDay.toFixed(1)} h/day allowed by your schedule`,
    input.availableFraction === null
      ? `less than a day of history yet: assuming the computer is online ${DEFAULT_AVAILABLE_FRACTION * 100} % of that time`
      : `the computer was online ${(available * 100).toFixed(0)} % of that time over the last week`,
    `${(share * 100).toFixed(0)} % share at $${hourlyUsd(input.device).toFixed(3)}/h for this device type`,
    `${(input.powerWatts * share).toFixed(0)} W extra draw at $${input.tariffPerKwh.toFixed(2)}/kWh`,
    // The arithmetic itself, so the figure shown (70 % use) can be worked out again from this page.
    `a month at ${UTILIZATION.medium * 100} % use: $${hourlyUsd(input.device)}/h × ${share * 100} % × ${round(hoursPerDay)} h/day × ${UTILIZATION.medium} × ${DAYS_PER_MONTH} days = $${round(gross.medium)}, ` +
      `less ${input.powerWatts} W × ${share * 100} % × the same ${round(hoursPerDay * UTILIZATION.medium * DAYS_PER_MONTH)} h at $${input.tariffPerKwh}/kWh = $${round(electricity.medium)}: ` +
      `$${round(net.medium)} (50 % and 100 % use scale the same way)`,
  ];
  return { hoursPerDay, gross, electricity, net, assumptions };
}

export interface ActualVsProjected {
  /** Projected net USD for the period at medium utilization. */
  projectedUsd: number;
  /** What receipts say was earned, in USD; null when SYNOR has no price (devnet test tokens). */
  earnedUsd: number | null;
  reasons: string[];
}

export interface ActualInput {
  projection: Projection;
  days: number;
  earnedSynor: number;
  /** null: no market price (devnet test tokens). */
  usdPerSynor: number | null;
  /** Hours in the period the device actually held work or waited for it online. */
  onlineHours: number;
  /** Hours in the period the coordinator had no work for this device. */
  noWorkHours: number;
  devnet: boolean;
}

/** Side by side with what was earned, and why the two differ. */
export function compareWithActual(a: ActualInput): ActualVsProjected {
  const projectedUsd = (a.projection.net.medium / DAYS_PER_MONTH) * a.days;
  const earnedUsd = a.usdPerSynor === null ? null : a.earnedSynor * a.usdPerSynor;
  const reasons: string[] = [];
  if (a.devnet) reasons.push('Local devnet: rewards are test tokens with no market value, paid at the network’s base rates.');
  if (earnedUsd === null) reasons.push('SYNOR has no price set, so earnings cannot be compared in dollars.');
  const expectedHours = a.projection.hoursPerDay * a.days;
  if (a.onlineHours < expectedHours * 0.9) {
    reasons.push(`The device was online ${a.onlineHours.toFixed(1)} h of the ${expectedHours.toFixed(1)} h the projection assumes.`);
  }
  if (a.noWorkHours > 0) reasons.push(`The network had no work for this device for ${a.noWorkHours.toFixed(1)} h.`);
  reasons.push('The projection uses average hourly rates; receipts pay for measured work, so small tasks earn little.');
  return { projectedUsd, earnedUsd, reasons };
}
