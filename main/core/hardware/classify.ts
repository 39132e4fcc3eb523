import type { ComputeCapabilities, Device, DeviceType, Gpu, HardwareReport, UnusableReason } from '../../common/hardware.js';
import type { GpuSummary } from '../../common/webgpu.js';
import { avxSupport, VENDOR_NAME } from './probe.js';
import { appleChip, gpuSpec } from './specs.js';

const GIB = 1024 ** 3;
/** Below this a GPU cannot hold the models the network hands out next to the user's own work. */
export const MIN_GPU_MEMORY_GB = 4;
/** CUDA 12 dropped everything before Maxwell (compute capability 5.0). */
const MIN_COMPUTE_CAPABILITY = 5.0;
const DATA_CENTER =
  /\b(A100|A800|H100|H800|H200|GH200|B100|B200|L4|L40S?|A2|A10G?|A16|A30|A40|T4|V100|P100|P40)\b|Tesla|Instinct|\bMI\d{2,3}X?\b|Data Center GPU/i;

/** A GPU measured with the WebGPU kernels (main/common/webgpu.ts webGpuProfile), by device id. */
export interface GpuMeasurement {
  adapter: string;
  figures: GpuSummary;
  note: string;
}

/** What the CPU benchmark measured (benchmark.ts). */
export interface CpuMeasurement {
  fp32Gflops: number;
  int8Tops: number;
  memoryBandwidthGbps: number;
}

const gb = (bytes: number | null) => Math.round(((bytes ?? 0) / GIB) * 10) / 10;
const FRAMEWORKS: Record<Gpu['vendor'], ComputeCapabilities['frameworks']> = {
  nvidia: ['cuda', 'webgpu'],
  amd: ['rocm', 'webgpu'],
  // No oneAPI/Level Zero runtime here yet: Intel GPUs take tasks through WebGPU (Vulkan, D3D12) only.
  intel: ['webgpu'],
  apple: ['metal', 'coreml', 'webgpu'],
};

function deviceType(gpu: Gpu): DeviceType {
  const name = gpu.name ?? '';
  const vramGb = Math.round((gpu.memoryTotalBytes ?? 0) / GIB);
  const chip = appleChip(name);
  if (gpu.vendor === 'apple' && chip) {
    // Every M-series chip so far has a 16-core Neural Engine (32 on Ultra, two dies).
    return {
      kind: 'AppleSilicon',
      chip,
      gpuCores: gpu.gpuCores,
      neuralEngineCores: chip.endsWith('Ultra') ? 32 : 16,
      unifiedMemoryGb: vramGb,
    };
  }
  const spec = gpuSpec(name, gpu.gpuCores);
  const model = spec?.model ?? (name.replace(/^(NVIDIA|AMD)\s+/i, '') || 'unknown');
  if (DATA_CENTER.test(name) || vramGb >= 40) return { kind: 'DataCenterGpu', model, vramGb, tensorCores: spec?.tensorCores ?? null };
  return { kind: 'ConsumerGpu', model, vramGb };
}

function gpuCapabilities(gpu: Gpu, measured: GpuMeasurement | undefined): ComputeCapabilities {
  const spec = gpu.error ? null : gpuSpec(gpu.name ?? '', gpu.gpuCores);
  const m = gpu.error ? undefined : measured?.figures;
  // DP4A (int8 dot products) arrived with compute capability 6.1.
  const int8 = gpu.vendor !== 'nvidia' || Number(gpu.computeCapability ?? 0) >= 6.1;
  const figures = {
    fp32Gflops: m?.fp32Gflops ?? (spec ? spec.fp32Tflops * 1000 : null),
    fp16Gflops: m?.fp16Gflops ?? (spec ? spec.fp16Tflops * 1000 : null),
    int8Tops: m?.int8Tops ?? (spec ? spec.int8Tops : null),
    memoryBandwidthGbps: m?.memoryBandwidthGBs ?? (spec ? spec.bandwidthGbps : null),
  };
  const specNote = spec ? `spec, not measured (${spec.model} data sheet)` : 'not measured, and not in the table of known GPUs';
  const fromSpec = m && spec && Object.keys(m).length < Object.keys(figures).length;
  return {
    ...figures,
    memoryGb: gb(gpu.memoryTotalBytes),
    frameworks: FRAMEWORKS[gpu.vendor],
    modelFormats: int8 ? ['onnx-fp32', 'onnx-fp16', 'onnx-int8'] : ['onnx-fp32', 'onnx-fp16'],
    basis: m ? 'measured' : spec ? 'spec' : 'unknown',
    note: m && measured ? `${measured.note}${fromSpec ? ` Figures WebGPU did not measure: ${specNote}.` : ''}` : specNote,
  };
}

function unusable(gpu: Gpu): UnusableReason[] {
  if (gpu.error) return [{ code: 'device-error', message: gpu.error.message }];
  const reasons: UnusableReason[] = [];
  if (gpu.mig?.enabled) {
    const sizes = gpu.mig.instances.map((i) => `${gb(i.memoryTotalBytes)} GB`).join(', ');
    reasons.push({
      code: 'mig-enabled',
      message: `MIG mode is on: the GPU is split into ${gpu.mig.instances.length} instances${sizes ? ` (${sizes})` : ''}, and tasks cannot run on MIG instances yet. To offer the whole GPU, turn MIG off (nvidia-smi -i ${gpu.index} -mig 0) while nothing runs on it`,
    });
  }
  const memory = gb(gpu.memoryTotalBytes);
  if (gpu.memoryTotalBytes !== null && memory < MIN_GPU_MEMORY_GB) {
    reasons.push({ code: 'too-little-memory', message: `Has ${memory} GB of memory; tasks need at least ${MIN_GPU_MEMORY_GB} GB` });
  }
  const cc = Number(gpu.computeCapability);
  if (gpu.computeCapability !== null && cc < MIN_COMPUTE_CAPABILITY) {
    reasons.push({
      code: 'old-architecture',
      message: `CUDA compute capability ${gpu.computeCapability} is older than ${MIN_COMPUTE_CAPABILITY.toFixed(1)}, the oldest current CUDA supports`,
    });
  }
  return reasons;
}

export const allGpus = (report: HardwareReport): Gpu[] => {
  const { nvidia, amd, intel, apple } = report.vendors;
  return [...nvidia.gpus, ...amd.gpus, ...intel.gpus, ...apple.gpus];
};

/** The UUID is what settings.gpus is keyed by; a GPU that cannot tell its UUID is known by its bus id. */
export const deviceId = (gpu: Gpu): string => gpu.uuid ?? `${gpu.vendor}:${gpu.pciBusId ?? gpu.index}`;

function gpuDevice(gpu: Gpu, measured: GpuMeasurement | undefined): Device {
  return {
    id: deviceId(gpu),
    name: gpu.name ?? `${VENDOR_NAME[gpu.vendor]} GPU at ${gpu.pciBusId ?? `index ${gpu.index}`}`,
    type: deviceType(gpu),
    capabilities: gpuCapabilities(gpu, measured),
    unusable: unusable(gpu),
    notReported: gpu.notReported,
  };
}

function cpuDevice(report: HardwareReport, measured: CpuMeasurement | null): Device {
  const { cpu } = report;
  return {
    id: 'cpu',
    name: cpu.model || 'CPU',
    type: { kind: 'Cpu', vendor: cpu.vendor, cores: cpu.cores, threads: cpu.threads, avxSupport: avxSupport(cpu.features) },
    capabilities: {
      fp32Gflops: measured?.fp32Gflops ?? null,
      // onnxruntime's CPU kernels compute fp16 models in fp32, so there is no separate fp16 rate to offer.
      fp16Gflops: null,
      int8Tops: measured?.int8Tops ?? null,
      memoryBandwidthGbps: measured?.memoryBandwidthGbps ?? null,
      memoryGb: gb(report.memoryBytes),
      frameworks: ['onnxruntime-cpu'],
      modelFormats: ['onnx-fp32', 'onnx-int8'],
      basis: measured ? 'measured' : 'unknown',
      note: measured ? 'measured on this computer (onnxruntime MatMul, MatMulInteger, memory copy)' : 'not measured yet',
    },
    unusable: [],
    notReported: [],
  };
}

/** The seed's device model for everything the probe found: GPUs in vendor order, then the CPU. */
export function classify(report: HardwareReport, cpu: CpuMeasurement | null, gpus: Record<string, GpuMeasurement> = {}): Device[] {
  return allGpus(report)
    .map((gpu) => gpuDevice(gpu, gpus[deviceId(gpu)]))
    .concat(cpuDevice(report, cpu));
}
