import { createFallbackProbe, type FallbackProbeOptions } from './fallback-probe.js';
import { createIsolatedProbe, type IsolatedProbeOptions } from './isolated-probe.js';
import { loadAddon, packageRoot } from '../native/addon-load.js';
import type { NativeProbeOptions } from './native-probe.js';
import type { HardwareProbe } from './probe.js';

export type DefaultProbeOptions = NativeProbeOptions &
  FallbackProbeOptions & {
    root?: string | null;
    /** The probe child's time limit per driver call (IsolatedProbeOptions.timeoutMs; timeoutMs is the tools'). */
    probeTimeoutMs?: IsolatedProbeOptions['timeoutMs'];
    /** The probe child, already started for this app folder (IsolatedProbeOptions.started). */
    probeChild?: IsolatedProbeOptions['started'];
  };

/**
 * The native addon when it loads (prebuilt, then local build), run in a child process so no driver library loads
 * into the agent; else, or once that child fails, the JS fallback. The provider says which answered and why.
 */
export function createDefaultProbe(options: DefaultProbeOptions = {}): HardwareProbe {
  const root = options.root === undefined ? packageRoot() : options.root;
  const fallback = (reason: string) => createFallbackProbe({ kind: 'fallback', reason }, options);
  const tools = (why: string) => fallback(`${why}; using systeminformation and the vendors' command-line tools`);
  if (root === null) return tools('app folder not found');
  const loaded = loadAddon(root);
  if (!loaded.ok) return tools(loaded.error.message);
  return createIsolatedProbe({
    root,
    addon: loaded.value.addon,
    provider: loaded.value.provider,
    native: options,
    fallback,
    ...(options.probeTimeoutMs === undefined ? {} : { timeoutMs: options.probeTimeoutMs }),
    ...(options.probeChild ? { started: options.probeChild } : {}),
  });
}
