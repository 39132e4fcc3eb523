import type { Signals } from '../../../main/common/policy.js';

/**
 * A GPU's use as the dashboard splits it: ours (the time our tasks ran on it) and the user's programs (the driver's
 * utilization less ours); null where the driver or the agent cannot tell yet.
 */
export function gpuSplit(gpu: Signals['gpus'][number]): { ours: number | null; other: number | null } {
  const ours = gpu.ourUtilizationPercent;
  return { ours, other: gpu.utilizationPercent === null ? null : Math.max(0, gpu.utilizationPercent - (ours ?? 0)) };
}
