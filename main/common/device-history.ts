import { z } from 'zod';
import type { Signals } from './policy.js';

/** One point per interval, an hour of them: what the Devices page draws. */
export const HISTORY_INTERVAL_MS = 10_000;
export const HISTORY_POINTS = 360;

const percent = z.number().min(0).max(100).nullable();

/** One device over one interval. null: the system did not report it in that interval. */
export const DevicePointSchema = z.object({
  /** When the interval ended (epoch ms). */
  at: z.number(),
  /** Tasks it finished with a result in the interval, and their floating-point operations per second. */
  tasks: z.number().int().nonnegative(),
  flopsPerSecond: z.number().nonnegative(),
  /** Its use, % on average over the interval: our jobs', and everything else's. */
  oursPercent: percent,
  otherPercent: percent,
  tempC: z.number().nullable(),
});
export type DevicePoint = z.infer<typeof DevicePointSchema>;

export const DeviceHistorySchema = z.object({
  intervalMs: z.number().int().positive(),
  /** Per device id (as the hardware snapshot and the policy name it), oldest point first. */
  devices: z.array(z.object({ deviceId: z.string(), points: z.array(DevicePointSchema).max(HISTORY_POINTS) })),
});
export type DeviceHistory = z.infer<typeof DeviceHistorySchema>;

/**
 * A GPU's use split in two: ours (the time our tasks ran on it) and other programs' (the driver's utilization less
 * ours); null where the driver or the agent cannot tell yet.
 */
export function gpuSplit(gpu: Signals['gpus'][number]): { ours: number | null; other: number | null } {
  const ours = gpu.ourUtilizationPercent;
  return { ours, other: gpu.utilizationPercent === null ? null : Math.max(0, gpu.utilizationPercent - (ours ?? 0)) };
}
