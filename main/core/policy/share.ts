/**
 * The one share rule: how much of a device the user gives, after the power mode's factor. The policy turns it into
 * threads and a duty cycle (which enforcement meters), and the estimator projects earnings from it.
 */
import { CPU_DEVICE_ID, type Limits } from '../../common/policy.js';
import type { PowerMode, Settings } from '../../common/settings.js';

/** How hard each power mode works: a factor on the user's share, and the OS priority of job processes. */
export const POWER_MODES: Record<PowerMode, { factor: number; priority: Limits['priority'] }> = {
  efficiency: { factor: 0.5, priority: 'idle' },
  balanced: { factor: 1, priority: 'idle' },
  performance: { factor: 1, priority: 'low' },
};

/** The device's share as a fraction 0..1: the user's percent for it (CPU, or the GPU's own or default) × the mode. */
export function effectiveShare(settings: Settings, deviceId: string): number {
  const percent = deviceId === CPU_DEVICE_ID ? settings.cpuSharePercent : (settings.gpus[deviceId] ?? settings.gpuDefaults).sharePercent;
  return (percent / 100) * POWER_MODES[settings.power.mode].factor;
}
