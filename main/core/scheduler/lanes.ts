import type { Gpu, HardwareSnapshot } from '../../common/hardware.js';
import { allGpus, deviceId } from '../hardware/classify.js';
import type { Provider } from '../runtime/host-protocol.js';
import { firstLine } from '../runtime/providers.js';
import type { DeviceLane } from './types.js';

/**
 * onnxruntime execution providers worth trying for a GPU, best first. onnxruntime-node has no ROCm or Metal
 * provider; WebGPU (Dawn: Vulkan, D3D12, Metal) runs on any of them, DirectML on any GPU under Windows.
 */
function preferred(vendor: Gpu['vendor'], platform: NodeJS.Platform): Provider[] {
  if (platform === 'darwin') return vendor === 'apple' ? ['coreml', 'webgpu'] : ['webgpu'];
  if (platform === 'win32') return vendor === 'nvidia' ? ['cuda', 'dml', 'webgpu'] : ['dml', 'webgpu'];
  return vendor === 'nvidia' ? ['cuda', 'webgpu'] : ['webgpu'];
}

export interface Lanes {
  lanes: DeviceLane[];
  /** GPUs that get no lane, and why, for the user. */
  notices: string[];
}

/**
 * The scheduler's devices for what the probe found: each usable GPU with the providers this onnxruntime build lists
 * (listSupportedBackends), then the processor. A provider that is listed but fails when a job loads (CUDA's
 * libraries not installed, an old driver) takes its lane out at run time, with a notice.
 */
export async function deviceLanes(
  snapshot: HardwareSnapshot,
  platform: NodeJS.Platform,
  listBackends: () => Promise<readonly string[]>,
): Promise<Lanes> {
  const lanes: DeviceLane[] = [];
  const notices: string[] = [];
  // Unusable GPUs (too little memory, a driver error) are shown as such on the Devices screen already.
  const gpus = allGpus(snapshot.report).flatMap((gpu) => {
    const device = snapshot.devices.find((d) => d.id === deviceId(gpu) && d.unusable.length === 0);
    return device ? [{ gpu, device }] : [];
  });
  // Asked only when there is a GPU: it loads onnxruntime's library into the agent.
  const backends = gpus.length
    ? await listBackends().catch((e: unknown) => {
        notices.push(`GPUs not used: onnxruntime could not say which providers it has (${firstLine(e)})`);
        return null;
      })
    : [];
  for (const { gpu, device } of gpus) {
    if (!backends) break;
    const providers = preferred(gpu.vendor, platform).filter((p) => backends.includes(p));
    if (providers.length === 0) {
      notices.push(
        `${device.name}: this onnxruntime build has no execution provider for it (${preferred(gpu.vendor, platform).join(' or ')}); not used`,
      );
      continue;
    }
    lanes.push({ id: device.id, name: device.name, kind: 'gpu', providers, deviceIndex: gpu.index });
  }
  // GPUs first: the scheduler offers a task to lanes in this order, and 'any' tasks earn more on a GPU.
  lanes.push({ id: 'cpu', name: 'Processor', kind: 'cpu', providers: ['cpu'] });
  return { lanes, notices };
}
