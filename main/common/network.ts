import { z } from 'zod';
import { WeiString } from './integers.js';

/**
 * What the network part of the agent shows the UI: connection status, earnings, estimates. (The wire protocol
 * between device and coordinator is in protocol.ts.)
 */

export const DEVNET_LABEL = 'Local devnet — test rewards, not real earnings';

export const NetworkStatusSchema = z
  .object({
    code: z.enum(['connecting', 'connected', 'no-work', 'offline', 'error']),
    /** One sentence for the dashboard: "Connected", "No work available — …", "Offline, 3 results queued — …". */
    message: z.string(),
    url: z.string(),
    devnet: z.boolean(),
    /** The network's own label; for the devnet always DEVNET_LABEL. */
    label: z.string(),
    /** Finished results on disk waiting to be submitted. */
    queued: z.number().int().nonnegative(),
    activeLeases: z.number().int().nonnegative(),
    /** Epoch ms of the next retry while offline, else null. */
    retryAt: z.number().nullable(),
  })
  .strict();
export type NetworkStatus = z.infer<typeof NetworkStatusSchema>;

/** What a day, device, resource or network earned, in wei: confirmed by signed receipts, and pending. */
export const EarningsBucketSchema = z
  .object({
    key: z.string(),
    confirmedWei: WeiString,
    pendingWei: WeiString,
    receipts: z.number().int(),
    pendingTasks: z.number().int(),
  })
  .strict();
export type EarningsBucket = z.infer<typeof EarningsBucketSchema>;
/** Confirmed and pending together: what a bucket earned in all. */
export const bucketWei = (bucket: EarningsBucket): bigint => BigInt(bucket.confirmedWei) + BigInt(bucket.pendingWei);

/**
 * How long each bar of the earnings chart is, chosen by the agent from how much history the range holds: the first
 * hour in minutes, the first hours in 5 minutes, then hours, days and months (ledger/series.ts).
 */
export const EarningsStepSchema = z.enum(['minute', '5m', 'hour', 'day', 'month']);
export type EarningsStep = z.infer<typeof EarningsStepSchema>;

/**
 * The chart of a summary: every slot and pending result its total counts is in exactly one bar, so the bars add up to
 * the total to the wei. A bar's start is epoch ms (local midnight for days and months); bars run oldest first, empty
 * ones included.
 */
export const EarningsSeriesSchema = z
  .object({
    step: EarningsStepSchema,
    bars: z.array(
      z
        .object({
          start: z.number().int(),
          confirmedWei: WeiString,
          pendingWei: WeiString,
          receipts: z.number().int().nonnegative(),
        })
        .strict(),
    ),
  })
  .strict();
export type EarningsSeries = z.infer<typeof EarningsSeriesSchema>;

export const EarningsSummarySchema = z
  .object({
    total: EarningsBucketSchema,
    series: EarningsSeriesSchema,
    /** Results whose verification failed: they earned nothing. */
    rejected: z.number().int().nonnegative(),
    byDay: z.array(EarningsBucketSchema),
    byDevice: z.array(EarningsBucketSchema),
    byResource: z.array(EarningsBucketSchema),
    /** Per network (key: its coordinator's address and chain id, as in `NetworkEarnings.key`). */
    byNetwork: z.array(EarningsBucketSchema),
  })
  .strict();
export type EarningsSummary = z.infer<typeof EarningsSummarySchema>;

export const EarningsQuerySchema = z
  .object({
    /** true: only devnet test rewards; false: only real networks; absent: both. */
    devnet: z.boolean().optional(),
    /** Only this network (`NetworkEarnings.key`); absent: every network. */
    network: z.string().max(200).optional(),
    fromMs: z.number().int().nonnegative().optional(),
    toMs: z.number().int().nonnegative().optional(),
    /** Days are cut at local midnight: minutes east of UTC (e.g. 60 for CET). */
    utcOffsetMinutes: z.number().int().min(-840).max(840).default(0),
  })
  .strict();
export type EarningsQuery = z.input<typeof EarningsQuerySchema>;

/**
 * What one network (a coordinator and the chain it pays on) owes this device, in wei. Only the network in use can pay:
 * earnings of any other are shown apart and never added to its figures.
 */
export const NetworkEarningsSchema = z
  .object({
    key: z.string(),
    /** The address that signs its receipts. */
    coordinator: z.string(),
    /** Where it was last reached, and whether it is a local devnet. */
    url: z.string(),
    devnet: z.boolean(),
    /** The network the settings name now. */
    current: z.boolean(),
    confirmedWei: WeiString,
    pendingWei: WeiString,
    receipts: z.number().int().nonnegative(),
    pendingTasks: z.number().int().nonnegative(),
    /**
     * Current network only: confirmed wei of this device not yet claimed on its chain (the verified ledger less the
     * claims the chain shows), readable with a locked wallet; null elsewhere or while the chain cannot be read.
     */
    unclaimedWei: WeiString.nullable(),
  })
  .strict();
export type NetworkEarnings = z.infer<typeof NetworkEarningsSchema>;

/** The first check of the earnings history after a start, which may take a while: how far it got. */
export const LedgerCheckSchema = z
  .object({ checkedBytes: z.number().int().nonnegative(), totalBytes: z.number().int().nonnegative() })
  .strict();
export type LedgerCheck = z.infer<typeof LedgerCheckSchema>;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https anywhere; plain http only to this machine (the local devnet), so results and tokens never travel in clear. */
export function isAllowedCoordinatorUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  } catch {
    return false;
  }
}

/** Settings the network part needs; the integrator adds them to the settings file as `network`. */
export const NetworkSettingsSchema = z
  .object({
    /** null: join the embedded local devnet. */
    coordinatorUrl: z
      .string()
      .max(2048)
      .refine(isAllowedCoordinatorUrl, 'Use an https:// address (plain http only for 127.0.0.1 or localhost)')
      .nullable(),
    /** The user's electricity price per kWh, for the net-of-electricity projection. */
    tariffPerKwh: z.number({ error: 'Enter a number' }).min(0, 'At least 0').max(10, 'At most 10'),
    /** null: no price known; earnings are not shown in dollars. */
    usdPerSynor: z
      .number({ error: 'Enter a price in dollars, or leave it empty' })
      .min(0, 'A price cannot be negative')
      .max(1_000_000, 'At most $1,000,000')
      .nullable(),
  })
  .strict();
export type NetworkSettings = z.infer<typeof NetworkSettingsSchema>;
export const DEFAULT_NETWORK_SETTINGS: NetworkSettings = { coordinatorUrl: null, tariffPerKwh: 0.3, usdPerSynor: null };

const Scenarios = z.object({ low: z.number(), medium: z.number(), high: z.number() }).strict();
/** An amount of wei and how sure it is: the middle figure and the range around it. */
export const WeiRangeSchema = z.object({ low: WeiString, mid: WeiString, high: WeiString }).strict();

/** The estimates screen: the seed's table for this device, this user's projection, and what was really earned. */
export const EstimatesSchema = z
  .object({
    hourlyUsd: z.number(),
    /** The seed's EarningsEstimator for the scheduled hours. */
    seed: Scenarios,
    projection: z
      .object({ hoursPerDay: z.number(), gross: Scenarios, electricity: Scenarios, net: Scenarios, assumptions: z.array(z.string()) })
      .strict(),
    actual: z
      .object({
        days: z.number(),
        earnedWei: WeiString,
        projectedUsd: z.number(),
        earnedUsd: z.number().nullable(),
        reasons: z.array(z.string()),
      })
      .strict(),
    /**
     * What this device earns per hour of sharing, in wei, measured from its own verified work over the time it shared
     * (economics/prediction.ts), and a month of it at its hours a day. No figure before enough work is measured.
     */
    synor: z
      .object({
        confidence: z.enum(['measuring', 'range', 'steady']),
        /** The network rate the work is paid at. */
        resource: z.enum(['cpu', 'gpu']),
        perHourWei: WeiRangeSchema.nullable(),
        perMonthWei: WeiRangeSchema.nullable(),
        /** Sharing time measured, and what a first figure needs (ms). */
        measuredMs: z.number().nonnegative(),
        neededMs: z.number().nonnegative(),
        /** Percent of the measured time the device waited for the machine's own load (the user's programs, heat). */
        busyPercent: z.number().min(0).max(100),
        /** Compute FLOP per hour of sharing the figure rests on (an integer). */
        flopsPerHour: z.string().regex(/^[0-9]{1,40}$/),
        /** The share the measure was taken at, and the hours a day the month assumes. */
        sharePercent: z.number().min(0).max(100),
        hoursPerDay: z.number().min(0).max(24),
        /** Reputation 0–100 and uptime in basis points as on the newest receipt, and the multipliers they give. */
        standing: z
          .object({ reputation: z.number(), uptimeBp: z.number(), reputationFactor: z.number(), uptimeFactor: z.number() })
          .strict(),
      })
      .strict(),
  })
  .strict();
export type Estimates = z.infer<typeof EstimatesSchema>;
