/**
 * The native probe in its own process: the driver libraries (NVML, ROCm SMI, Level Zero) load here, never in the
 * agent (in the desktop app, Electron's main process), so a driver that crashes or hangs costs only this child.
 * argv[2] is JSON { root, options }; each { id } that arrives over IPC is answered with one detection pass: the
 * report, or why it failed. It ends with its parent's channel.
 */
import { errorText } from '../../common/result.js';
import { createNativeProbe, loadAddon, type NativeProbeOptions } from './native-probe.js';
import type { ProbeChildReply } from './probe-child-protocol.js';

const { root, options } = JSON.parse(process.argv[2] ?? '{}') as { root: string; options: NativeProbeOptions };
const loaded = loadAddon(root);
// The probe, or why the addon did not load here.
const probe = loaded.addon ? createNativeProbe(loaded.addon, loaded.provider, options) : loaded.reason;

async function answer(id: number): Promise<ProbeChildReply> {
  if (typeof probe === 'string') return { id, type: 'failed', message: probe };
  try {
    return { id, type: 'report', report: await probe.detect() };
  } catch (error) {
    return { id, type: 'failed', message: errorText(error) };
  }
}

process.on('message', (request: { id?: unknown }) => {
  void answer(typeof request?.id === 'number' ? request.id : -1).then((reply) => process.send?.(reply));
});
process.on('disconnect', () => process.exit(0));
