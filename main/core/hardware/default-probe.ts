import { createFallbackProbe, type FallbackProbeOptions } from './fallback-probe.js';
import { createNativeProbe, loadAddon, type NativeProbeOptions } from './native-probe.js';
import type { HardwareProbe } from './probe.js';

/** The native addon when it loads (prebuilt, then local build), else the JS fallback; the provider says which and why. */
export function createDefaultProbe(options: NativeProbeOptions & FallbackProbeOptions & { root?: string | null } = {}): HardwareProbe {
  const loaded = options.root === undefined ? loadAddon() : loadAddon(options.root);
  if (loaded.addon) return createNativeProbe(loaded.addon, loaded.provider, options);
  return createFallbackProbe(
    { kind: 'fallback', reason: `${loaded.reason}; using systeminformation and the vendors' command-line tools` },
    options,
  );
}
