// Which devices get a scheduler lane and with which onnxruntime providers, and what the machine registers as.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HardwareReportSchema, HardwareSnapshotSchema, type Gpu, type HardwareSnapshot } from '../../main/common/hardware.js';
import { DeviceInfoSchema } from '../../main/common/protocol.js';
import { DEFAULT_SETTINGS } from '../../main/common/settings.js';
import { classify } from '../../main/core/hardware/classify.js';
import { blankGpu } from '../../main/core/hardware/probe.js';
import { deviceInfo } from '../../main/core/network/device-info.js';
import { deviceLanes } from '../../main/core/scheduler/lanes.js';

const GIB = 1024 ** 3;
const absent = { status: 'absent', error: null, driverVersion: null, runtimeVersion: null, gpus: [] } as const;

function snapshot(gpus: Gpu[]): HardwareSnapshot {
  const report = HardwareReportSchema.parse({
    cpu: { vendor: 'intel', model: 'Fake CPU', arch: 'x64', cores: 4, threads: 8, features: ['avx2'] },
    memoryBytes: 32 * GIB,
    vendors: Object.fromEntries(
      (['nvidia', 'amd', 'intel', 'apple'] as const).map((v) => [v, { ...absent, gpus: gpus.filter((g) => g.vendor === v) }]),
    ),
  });
  const profile = { state: 'none', measuredAt: null, durationMs: null, progress: null, error: null } as const;
  return HardwareSnapshotSchema.parse({
    provider: { kind: 'fallback', reason: 'test' },
    detectedAt: 0,
    fingerprint: 'f',
    report,
    devices: classify(report, null),
    profile,
  });
}
const gpu = (vendor: Gpu['vendor'], index: number, name: string, gib: number): Gpu => ({
  ...blankGpu(vendor, index),
  name,
  uuid: `${vendor}-${index}`,
  memoryTotalBytes: gib * GIB,
  computeCapability: vendor === 'nvidia' ? '8.9' : null,
});
const LINUX_NODE = ['cpu', 'webgpu', 'cuda', 'tensorrt']; // what onnxruntime-node 1.30 lists on linux-x64

test('each usable GPU gets a lane with the providers this build lists, GPUs before the processor', { timeout: 120_000 }, async () => {
  const machine = snapshot([
    gpu('nvidia', 0, 'NVIDIA GeForce RTX 4070', 12),
    gpu('nvidia', 1, 'NVIDIA GeForce GT 710', 2),
    gpu('amd', 0, 'AMD Radeon RX 7900 XTX', 24),
  ]);
  const { lanes, notices } = await deviceLanes(machine, 'linux', async () => LINUX_NODE);
  assert.deepEqual(lanes, [
    { id: 'nvidia-0', name: 'NVIDIA GeForce RTX 4070', kind: 'gpu', providers: ['cuda', 'webgpu'], deviceIndex: 0 },
    // The GT 710 (2 GB) is unusable and the Devices screen says why; ROCm has no onnxruntime-node provider.
    { id: 'amd-0', name: 'AMD Radeon RX 7900 XTX', kind: 'gpu', providers: ['webgpu'], deviceIndex: 0 },
    { id: 'cpu', name: 'Processor', kind: 'cpu', providers: ['cpu'] },
  ]);
  assert.deepEqual(notices, []);

  const windows = await deviceLanes(machine, 'win32', async () => ['cpu', 'dml', 'webgpu']);
  assert.deepEqual(
    windows.lanes.map((l) => l.providers),
    [['dml', 'webgpu'], ['dml', 'webgpu'], ['cpu']],
  );
  const mac = await deviceLanes(snapshot([gpu('apple', 0, 'Apple M2 Pro', 16)]), 'darwin', async () => ['cpu', 'coreml', 'webgpu']);
  assert.deepEqual(mac.lanes[0]!.providers, ['coreml', 'webgpu']);
});

test(
  'a GPU no provider of this build can drive gets no lane and a notice; without GPUs onnxruntime is not even asked',
  { timeout: 120_000 },
  async () => {
    const { lanes, notices } = await deviceLanes(snapshot([gpu('amd', 0, 'AMD Radeon RX 7900 XTX', 24)]), 'linux', async () => ['cpu']);
    assert.deepEqual(
      lanes.map((l) => l.id),
      ['cpu'],
    );
    assert.deepEqual(notices, ['AMD Radeon RX 7900 XTX: this onnxruntime build has no execution provider for it (webgpu); not used']);
    const cpuOnly = await deviceLanes(snapshot([]), 'linux', () => Promise.reject(new Error('must not be asked')));
    assert.deepEqual(cpuOnly, { lanes: [{ id: 'cpu', name: 'Processor', kind: 'cpu', providers: ['cpu'] }], notices: [] });
    // onnxruntime's library failing to load in the agent costs the GPUs, not the processor's earnings.
    const broken = await deviceLanes(snapshot([gpu('nvidia', 0, 'NVIDIA GeForce RTX 4070', 12)]), 'linux', () =>
      Promise.reject(new Error('libonnxruntime.so.1: cannot open')),
    );
    assert.deepEqual(
      broken.lanes.map((l) => l.id),
      ['cpu'],
    );
    assert.deepEqual(broken.notices, [
      'GPUs not used: onnxruntime could not say which providers it has (libonnxruntime.so.1: cannot open)',
    ]);
  },
);

test('the machine registers as its first GPU lane, in the protocol spelling, else as its processor', { timeout: 120_000 }, async () => {
  const machine = snapshot([
    gpu('nvidia', 0, 'NVIDIA GeForce RTX 4070', 12),
    gpu('nvidia', 1, 'NVIDIA H100 80GB HBM3', 80),
    gpu('apple', 0, 'Apple M2 Pro', 16),
  ]);
  const settings = DEFAULT_SETTINGS;
  const info = (id: string): unknown => DeviceInfoSchema.shape.deviceType.parse(deviceInfo(machine, settings, 0, id).deviceType);
  assert.deepEqual(info('nvidia-0'), { kind: 'consumer-gpu', model: 'RTX 4070', vramGb: 12 });
  assert.deepEqual(info('nvidia-1'), { kind: 'data-center-gpu', model: 'H100', vramGb: 80, tensorCores: 528 });
  assert.deepEqual(info('apple-0'), { kind: 'apple-silicon', chip: 'M2 Pro', gpuCores: 0, neuralEngineCores: 16, unifiedMemoryGb: 16 });
  assert.deepEqual(info('cpu'), { kind: 'cpu', vendor: 'intel', cores: 4, threads: 8, avx: 'avx2' });
  assert.deepEqual(deviceInfo(machine, settings, 0, 'nvidia-0').compute.frameworks, ['cuda', 'webgpu']);
  assert.throws(() => deviceInfo(machine, settings, 0, 'gone'), /no device gone/);
});
