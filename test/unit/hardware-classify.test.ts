// Device classification into the seed's DeviceType, spec figures, and why a device cannot be used.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HardwareReportSchema, type Gpu, type HardwareReport } from '../../main/common/hardware.js';
import { classify } from '../../main/core/hardware/classify.js';
import { probeIntelDrm } from '../../main/core/hardware/intel-drm.js';
import { pciIdDatabase } from '../../main/core/hardware/pci-ids.js';
import { blankGpu, vendorReport } from '../../main/core/hardware/probe.js';
import { withSharedMemory } from '../../main/core/hardware/shared-memory.js';
import { gpuSpec } from '../../main/core/hardware/specs.js';
import { FIXTURES } from '../fixtures/hardware/machine.js';
import { tempDir } from '../helpers/fakes.js';

const GIB = 1024 ** 3;
const absent = { status: 'absent', error: null, driverVersion: null, runtimeVersion: null, gpus: [] } as const;

function report(gpus: Gpu[]): HardwareReport {
  return HardwareReportSchema.parse({
    cpu: {
      vendor: 'amd',
      model: 'AMD Ryzen 9 7950X',
      arch: 'x64',
      cores: 16,
      threads: 32,
      features: ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f'],
    },
    memoryBytes: 64 * GIB,
    vendors: {
      nvidia: { ...absent, gpus: gpus.filter((g) => g.vendor === 'nvidia') },
      amd: { ...absent, gpus: gpus.filter((g) => g.vendor === 'amd') },
      intel: { ...absent, gpus: gpus.filter((g) => g.vendor === 'intel') },
      apple: { ...absent, gpus: gpus.filter((g) => g.vendor === 'apple') },
    },
  });
}
const nvidia = (name: string, gib: number, computeCapability: string, index = 0): Gpu => ({
  ...blankGpu('nvidia', index),
  name,
  uuid: `GPU-${index}`,
  memoryTotalBytes: gib * GIB,
  computeCapability,
});

test('data-center and consumer GPUs by name and memory', { timeout: 120_000 }, () => {
  const devices = classify(
    report([
      nvidia('NVIDIA H100 80GB HBM3', 80, '9.0', 0),
      nvidia('NVIDIA L4', 22.5, '8.9', 1),
      nvidia('Tesla T4', 15, '7.5', 2),
      nvidia('NVIDIA GeForce RTX 3060', 12, '8.6', 3),
      nvidia('NVIDIA RTX A6000', 48, '8.6', 4),
      { ...blankGpu('amd', 0), name: 'AMD Instinct MI300X', memoryTotalBytes: 192 * GIB },
    ]),
    null,
  );
  assert.deepEqual(
    devices.map((d) => d.type),
    [
      { kind: 'DataCenterGpu', model: 'H100', vramGb: 80, tensorCores: 528 },
      { kind: 'DataCenterGpu', model: 'L4', vramGb: 23, tensorCores: 240 },
      { kind: 'DataCenterGpu', model: 'T4', vramGb: 15, tensorCores: 320 },
      { kind: 'ConsumerGpu', model: 'RTX 3060', vramGb: 12 },
      // Not in the spec table, but 48 GB puts it with the data-center cards.
      { kind: 'DataCenterGpu', model: 'RTX A6000', vramGb: 48, tensorCores: null },
      { kind: 'DataCenterGpu', model: 'MI300X', vramGb: 192, tensorCores: null },
      { kind: 'Cpu', vendor: 'amd', cores: 16, threads: 32, avxSupport: 'avx512' },
    ],
  );
  const a6000 = devices[4]!.capabilities;
  assert.deepEqual([a6000.basis, a6000.fp32Gflops, a6000.memoryGb], ['unknown', null, 48]);
  assert.equal(devices[3]!.capabilities.fp32Gflops, 12_700);
});

test('Apple silicon: chip, GPU cores, Neural Engine, unified memory; spec scaled by GPU cores', { timeout: 120_000 }, () => {
  const m2 = { ...blankGpu('apple', 0), name: 'Apple M2 Pro', unifiedMemory: true, memoryTotalBytes: 32 * GIB, gpuCores: 16 };
  const [device] = classify(report([m2]), null);
  assert.deepEqual(device?.type, { kind: 'AppleSilicon', chip: 'M2 Pro', gpuCores: 16, neuralEngineCores: 16, unifiedMemoryGb: 32 });
  assert.equal(device?.capabilities.fp32Gflops, 5700); // 16 cores × 0.357 TFLOPS
  assert.deepEqual(device?.capabilities.frameworks, ['metal', 'coreml', 'webgpu']);
  assert.equal(gpuSpec('Apple M2 Pro')?.fp32Tflops, 6.8, 'the 19-core variant when the OS does not say');
});

test('what cannot be used says why: too little memory, too old, lost', { timeout: 120_000 }, () => {
  const lost: Gpu = {
    ...blankGpu('nvidia', 2),
    pciBusId: '0000:03:00.0',
    error: { code: 'gpu-lost', message: 'The GPU stopped responding' },
  };
  const devices = classify(report([nvidia('NVIDIA GeForce GTX 1050', 2, '6.1', 0), nvidia('Quadro K2200', 4, '3.0', 1), lost]), null);
  assert.deepEqual(
    devices.map((d) => [d.id, d.unusable]),
    [
      ['GPU-0', [{ code: 'too-little-memory', message: 'Has 2 GB of memory; tasks need at least 4 GB' }]],
      ['GPU-1', [{ code: 'old-architecture', message: 'CUDA compute capability 3.0 is older than 5.0, the oldest current CUDA supports' }]],
      ['nvidia:0000:03:00.0', [{ code: 'device-error', message: 'The GPU stopped responding' }]],
      ['cpu', []],
    ],
  );
  assert.deepEqual(devices[1]!.capabilities.modelFormats, ['onnx-fp32', 'onnx-fp16'], 'no DP4A before compute capability 6.1');
});

test('the CPU is "not measured yet" until the benchmark ran, then carries the measurement', { timeout: 120_000 }, () => {
  const [before] = classify(report([]), null);
  assert.deepEqual([before?.capabilities.basis, before?.capabilities.fp32Gflops, before?.capabilities.memoryGb], ['unknown', null, 64]);
  const [after] = classify(report([]), { fp32Gflops: 50, int8Tops: 0.2, memoryBandwidthGbps: 15 });
  assert.deepEqual(
    [after?.capabilities.basis, after?.capabilities.fp32Gflops, after?.capabilities.int8Tops, after?.capabilities.memoryBandwidthGbps],
    ['measured', 50, 0.2, 15],
  );
});

test(
  'a GPU in MIG mode is listed with its instances and says why it takes no tasks; an unreported reading does not matter',
  { timeout: 120_000 },
  () => {
    const a100: Gpu = {
      ...nvidia('NVIDIA A100-SXM4-80GB', 80, '8.0', 0),
      utilizationPercent: null,
      notReported: ['utilizationPercent'],
      mig: {
        enabled: true,
        instances: [3, 4].map((gpuInstanceId, index) => ({
          index,
          gpuInstanceId,
          computeInstanceId: 0,
          memoryTotalBytes: 19968 * 1024 ** 2,
          memoryUsedBytes: 0,
        })),
      },
    };
    const off: Gpu = { ...nvidia('NVIDIA A100-SXM4-80GB', 80, '8.0', 1), mig: { enabled: false, instances: [] } };
    // GB10 (DGX Spark) shares system memory: NVML declines the memory reading, the GPU is still usable.
    const gb10: Gpu = {
      ...nvidia('NVIDIA GB10', 0, '12.1', 2),
      memoryTotalBytes: null,
      notReported: ['memoryTotalBytes', 'memoryUsedBytes'],
    };
    const devices = classify(report([a100, off, gb10]), null);
    assert.deepEqual(
      devices.map((d) => d.unusable),
      [
        [
          {
            code: 'mig-enabled',
            message:
              'MIG mode is on: the GPU is split into 2 instances (19.5 GB, 19.5 GB), and tasks cannot run on MIG instances yet. To offer the whole GPU, turn MIG off (nvidia-smi -i 0 -mig 0) while nothing runs on it',
          },
        ],
        [],
        [],
        [],
      ],
    );
  },
);

test('Intel GPUs take tasks through WebGPU, the runtime this app has for them', { timeout: 120_000 }, () => {
  const arc: Gpu = { ...blankGpu('intel', 0), name: 'Intel Arc A770', pciBusId: '0000:03:00.0', memoryTotalBytes: 16 * GIB };
  const [device] = classify(report([arc]), null);
  assert.deepEqual(
    [device?.id, device?.type, device?.capabilities.frameworks, device?.unusable],
    ['intel:0000:03:00.0', { kind: 'ConsumerGpu', model: 'Intel Arc A770', vramGb: 16 }, ['webgpu'], []],
  );
});

test('figures WebGPU did not measure come from the data sheet, and the note says which', { timeout: 120_000 }, () => {
  const a5000 = { ...nvidia('NVIDIA RTX A5000', 24, '8.6', 0), uuid: 'GPU-a' };
  const [device] = classify(report([a5000]), null, {
    'GPU-a': { adapter: 'NVIDIA RTX A5000', figures: { fp32Gflops: 25_000 }, note: 'Measured via WebGPU on NVIDIA RTX A5000.' },
  });
  assert.deepEqual(
    [
      device?.capabilities.basis,
      device?.capabilities.fp32Gflops,
      device?.capabilities.fp16Gflops,
      device?.capabilities.memoryBandwidthGbps,
    ],
    ['measured', 25_000, 111_100, 768],
  );
  assert.equal(
    device?.capabilities.note,
    'Measured via WebGPU on NVIDIA RTX A5000. Figures WebGPU did not measure: spec, not measured (RTX A5000 data sheet).',
  );
});

test(
  'Intel GPUs the Arc table never knew get their pci.ids name, and a spec by that name (UHD 620, Flex 170)',
  { timeout: 60_000 },
  async () => {
    const sys = await tempDir('synor-sys-');
    const card = async (n: number, device: string, slot: string) => {
      const dir = join(sys, 'class', 'drm', `card${n}`, 'device');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'vendor'), '0x8086\n');
      await writeFile(join(dir, 'device'), `${device}\n`);
      await writeFile(join(dir, 'uevent'), `DRIVER=i915\nPCI_SLOT_NAME=${slot}\n`);
    };
    await card(0, '0x5917', '0000:00:02.0');
    await card(1, '0x56c0', '0000:03:00.0');
    const intel = await probeIntelDrm(sys, 'linux', 16 * GIB, pciIdDatabase([join(FIXTURES, 'pci-ids', 'tiny.ids')]));
    const devices = classify(report(intel.gpus), null);
    // Before: "Intel GPU (PCI device 0x5917)" and "…0x56c0", basis "unknown".
    assert.deepEqual(
      devices.slice(0, 2).map((d) => [d.name, d.type.kind, d.capabilities.basis, d.capabilities.fp32Gflops]),
      [
        ['Intel UHD Graphics 620', 'ConsumerGpu', 'spec', 440],
        ['Intel Data Center GPU Flex 170', 'DataCenterGpu', 'spec', 16_000],
      ],
    );
  },
);

test('an AMD APU and an NVIDIA SoC are shared-memory devices with the system memory as their budget', { timeout: 60_000 }, () => {
  // Radeon 680M: ROCm reports its 512 MiB carve-out; before, that made it a 0.5 GB GPU, "too little memory".
  const apu = { ...blankGpu('amd', 0), name: 'AMD Radeon 680M', pciBusId: '0000:75:00.0', memoryTotalBytes: 512 * 1024 ** 2 };
  // GB10: NVML declines the memory reading; before, it stayed at 0 GB with no memory check.
  const gb10 = { ...nvidia('NVIDIA GB10', 0, '12.1', 0), memoryTotalBytes: null };
  const discrete = { ...blankGpu('amd', 1), name: 'Navi 23 [Radeon RX 6600/6600 XT/6600M]', memoryTotalBytes: 8 * GIB };
  const amd = vendorReport('amd', { status: 'found', gpus: [apu, discrete] });
  const nv = vendorReport('nvidia', { status: 'found', gpus: [gb10] });
  assert.deepEqual(
    [...nv.gpus, ...amd.gpus].map((g) => [
      g.name,
      g.unifiedMemory,
      g.memoryTotalBytes,
      g.sources.memoryTotalBytes ?? null,
      g.notReported.includes('memoryTotalBytes'),
    ]),
    [
      ['NVIDIA GB10', true, totalmem(), 'system memory (integrated GPU)', false],
      ['AMD Radeon 680M', true, totalmem(), 'system memory (integrated GPU)', false],
      ['Navi 23 [Radeon RX 6600/6600 XT/6600M]', false, 8 * GIB, null, false],
    ],
  );
  const devices = classify(report([...nv.gpus, ...amd.gpus]), null);
  assert.deepEqual(
    devices.slice(0, 3).map((d) => [d.unusable, d.capabilities.memoryGb > 0]),
    [
      [[], true],
      [[], true],
      [[], true],
    ],
  );
  // A carve-out larger than what the OS kept (96 of 128 GB) stays the budget.
  const strixHalo = { ...blankGpu('amd', 0), name: 'AMD Radeon 8060S Graphics', memoryTotalBytes: 96 * GIB };
  assert.deepEqual(
    [withSharedMemory(strixHalo, 31 * GIB).memoryTotalBytes, withSharedMemory(strixHalo, 31 * GIB).unifiedMemory],
    [96 * GIB, true],
  );
});
