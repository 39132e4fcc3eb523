/**
 * The driver calls in their own process: NVML, ROCm SMI and Level Zero load here, never in the agent (in the desktop
 * app, Electron's main process), so a driver that crashes or hangs costs only this child. argv[2] is the app folder
 * the addon is loaded from; each request that arrives over IPC is one addon call, answered with its raw value
 * (native-probe.ts, in the agent, parses it). Kept small so it starts fast. It ends with its parent's channel.
 */
import { loadAddon } from '../native/addon-load.js';
import type { ProbeReply, ProbeRequest } from './probe-child-protocol.js';

const loaded = loadAddon(process.argv[2] ?? null);

async function answer({ id, call, library }: ProbeRequest): Promise<ProbeReply> {
  if (!loaded.ok) return { id, type: 'failed', message: loaded.error.message };
  const { addon } = loaded.value;
  const fn = addon[call];
  if (typeof fn !== 'function') return { id, type: 'failed', message: `this build of the addon has no ${call}()` };
  try {
    return { id, type: 'value', value: await fn.call(addon, library) };
  } catch (error) {
    return { id, type: 'failed', message: error instanceof Error ? error.message : String(error) };
  }
}

process.on('message', (request: ProbeRequest) => void answer(request).then((reply) => process.send?.(reply)));
process.on('disconnect', () => process.exit(0));
