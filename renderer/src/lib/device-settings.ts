import type { Settings, SettingsPatch } from '../../../main/common/settings.js';

export interface DeviceChoice {
  enabled: boolean;
  sharePercent: number;
}

/**
 * A device's switch and share as the settings keep them: the processor's are top-level (`cpuEnabled`,
 * `cpuSharePercent`), a GPU's sit in its entry of `gpus`, and a GPU without one follows `gpuDefaults`.
 */
export function deviceChoice(settings: Settings, id: string, kind: 'cpu' | 'gpu'): DeviceChoice {
  if (kind === 'cpu') return { enabled: settings.cpuEnabled, sharePercent: settings.cpuSharePercent };
  const own = settings.gpus[id] ?? settings.gpuDefaults;
  return { enabled: own.enabled, sharePercent: own.sharePercent };
}

/** The patch that changes one device's switch or share and nothing else (a GPU's entry starts from the defaults). */
export function devicePatch(settings: Settings, id: string, kind: 'cpu' | 'gpu', change: Partial<DeviceChoice>): SettingsPatch {
  if (kind === 'gpu') return { gpus: { ...settings.gpus, [id]: { ...(settings.gpus[id] ?? settings.gpuDefaults), ...change } } };
  return {
    ...(change.enabled === undefined ? {} : { cpuEnabled: change.enabled }),
    ...(change.sharePercent === undefined ? {} : { cpuSharePercent: change.sharePercent }),
  };
}
