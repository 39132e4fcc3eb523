import { z } from 'zod';

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

/** Amounts are exact SYNOR decimal strings ("0.0000012"), never floats. */
export const EarningsBucketSchema = z
  .object({ key: z.string(), confirmed: z.string(), pending: z.string(), receipts: z.number().int(), pendingTasks: z.number().int() })
  .strict();
export type EarningsBucket = z.infer<typeof EarningsBucketSchema>;

export const EarningsSummarySchema = z
  .object({
    total: EarningsBucketSchema,
    /** Results whose verification failed: they earned nothing. */
    rejected: z.number().int().nonnegative(),
    byDay: z.array(EarningsBucketSchema),
    byDevice: z.array(EarningsBucketSchema),
    byResource: z.array(EarningsBucketSchema),
  })
  .strict();
export type EarningsSummary = z.infer<typeof EarningsSummarySchema>;

export const EarningsQuerySchema = z
  .object({
    /** true: only devnet test rewards; false: only real networks; absent: both. */
    devnet: z.boolean().optional(),
    fromMs: z.number().int().nonnegative().optional(),
    toMs: z.number().int().nonnegative().optional(),
    /** Days are cut at local midnight: minutes east of UTC (e.g. 60 for CET). */
    utcOffsetMinutes: z.number().int().min(-840).max(840).default(0),
  })
  .strict();
export type EarningsQuery = z.input<typeof EarningsQuerySchema>;
