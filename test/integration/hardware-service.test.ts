// The hardware service over the real native addon on fake driver libraries: snapshot, benchmark (real onnxruntime),
// profile cache keyed by fingerprint, and telemetry sampled only while subscribed.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { HardwareSnapshotSchema, type BenchmarkProgress, type HardwareSnapshot, type Telemetry } from '../../main/common/hardware.js';
import type { WebGpuReport } from '../../main/common/webgpu.js';
import { createNativeProbe } from '../../main/core/hardware/native-probe.js';
import type { Addon } from '../../main/core/native/addon-load.js';
import type { HardwareProbe } from '../../main/core/hardware/probe.js';
import { createHardwareService, type HardwareService } from '../../main/core/hardware/service.js';
import { fakeMachine, requireAddon } from '../fixtures/hardware/machine.js';
import { FakeClock, MemoryLogger, tempDir } from '../helpers/fakes.js';

let addon: Addon;
let twoVendors: HardwareProbe;
let lostGpu: HardwareProbe;
before(async () => {
  ({ addon } = requireAddon());
  twoVendors = createNativeProbe(addon, { kind: 'native', reason: 'test' }, await fakeMachine('dual-a5000-590', 'rx6700xt-rocm612'));
  lostGpu = createNativeProbe(addon, { kind: 'native', reason: 'test' }, await fakeMachine('lost-590', 'missing'));
});

const service = (
  probe: HardwareProbe,
  cacheDir: string,
  extra: { autoBenchmark?: boolean; clock?: FakeClock; logger?: MemoryLogger } = {},
) =>
  createHardwareService({
    probe,
    clock: extra.clock ?? new FakeClock(),
    logger: extra.logger ?? new MemoryLogger(),
    cacheDir,
    autoBenchmark: extra.autoBenchmark ?? false,
    benchmark: { size: 128, budgetMs: 30 },
  });

/** Resolves with the first published snapshot that satisfies `ready`. */
const until = (hw: HardwareService, ready: (s: HardwareSnapshot) => boolean) =>
  new Promise<HardwareSnapshot>((resolve) => {
    const stop = hw.subscribe((s) => {
      if (!ready(s)) return;
      stop();
      resolve(s);
    });
  });

test('the snapshot lists every GPU as the seed classifies it, with spec figures marked as not measured', { timeout: 120_000 }, async () => {
  const snapshot = HardwareSnapshotSchema.parse(await service(twoVendors, await tempDir()).refresh());
  assert.deepEqual(
    snapshot.devices.map((d) => [d.name, d.type.kind, d.capabilities.basis, d.unusable.length]),
    [
      ['NVIDIA RTX A5000', 'ConsumerGpu', 'spec', 0],
      ['NVIDIA RTX A5000', 'ConsumerGpu', 'spec', 0],
      ['AMD Radeon RX 6700/6700 XT/6750 XT / 6800M/6850M XT', 'ConsumerGpu', 'unknown', 0],
      [snapshot.report.cpu.model || 'CPU', 'Cpu', 'unknown', 0],
    ],
  );
  const a5000 = snapshot.devices[0]!;
  assert.equal(a5000.id, 'GPU-12345678-aaaa-bbbb-cccc-0123456789ab');
  assert.deepEqual(a5000.type, { kind: 'ConsumerGpu', model: 'RTX A5000', vramGb: 24 });
  assert.equal(a5000.capabilities.fp16Gflops, 111_100);
  assert.match(a5000.capabilities.note, /^spec, not measured/);
  // No unique id on this Radeon ("N/A"): it is known by its bus id, the same whichever provider answered.
  assert.equal(snapshot.devices[2]!.id, 'amd:0000:07:00.0');
  assert.deepEqual(snapshot.provider, { kind: 'native', reason: 'test' });
  assert.equal(snapshot.profile.state, 'none');
});

test('a lost GPU is listed as unusable with the reason', { timeout: 120_000 }, async () => {
  const snapshot = await service(lostGpu, await tempDir()).refresh();
  const lost = snapshot.devices.find((d) => d.id === 'nvidia:0000:a1:00.0');
  assert.deepEqual(lost?.unusable, [
    { code: 'device-error', message: 'The GPU stopped responding (lost from the bus): restart the computer to recover it' },
  ]);
  assert.equal(lost?.name, 'NVIDIA GPU at 0000:a1:00.0');
  assert.deepEqual(
    snapshot.devices.map((d) => d.unusable.length),
    [0, 1, 0, 0],
    'the healthy GPUs stay usable',
  );
});

test('benchmark measures the CPU with progress, caches it by fingerprint, and a restart reuses it', { timeout: 120_000 }, async () => {
  const dir = await tempDir();
  const hw = service(twoVendors, dir);
  const first = await hw.refresh();
  const progress: BenchmarkProgress[] = [];
  const states: string[] = [];
  hw.subscribe((s) => states.push(s.profile.state));
  const measured = await hw.benchmark((p) => progress.push(p));

  assert.deepEqual(progress.at(-1), { step: 'done', fraction: 1 });
  assert.deepEqual([...new Set(progress.map((p) => p.step))], ['fp32', 'int8', 'memory', 'done']);
  assert.ok(
    progress.every((p, i) => i === 0 || p.fraction >= progress[i - 1]!.fraction),
    'progress never goes back',
  );
  assert.equal(states[0], 'running');
  assert.equal(states.at(-1), 'ready');
  const cpu = measured.devices.at(-1)!.capabilities;
  assert.equal(cpu.basis, 'measured');
  assert.ok(cpu.fp32Gflops! > 0 && cpu.int8Tops! > 0 && cpu.memoryBandwidthGbps! > 0);

  const cache = JSON.parse(await readFile(join(dir, 'hardware-profile.json'), 'utf8'));
  assert.deepEqual(Object.keys(cache.profiles), [first.fingerprint]);

  const restarted = await service(twoVendors, dir, { autoBenchmark: true }).refresh();
  assert.equal(restarted.profile.state, 'ready', 'same hardware: no new measurement');
  assert.deepEqual(restarted.devices.at(-1)!.capabilities, cpu);
});

test('changed hardware is measured again by itself; the old profile stays cached for its fingerprint', { timeout: 120_000 }, async () => {
  const dir = await tempDir();
  const before = service(twoVendors, dir);
  await before.refresh();
  await before.benchmark();

  const after = service(lostGpu, dir, { autoBenchmark: true });
  const ready = until(after, (s) => s.profile.state === 'ready');
  const changed = await after.refresh();
  assert.equal(changed.profile.state, 'stale');
  const measured = await ready;
  assert.equal(measured.fingerprint, changed.fingerprint);
  const cache = JSON.parse(await readFile(join(dir, 'hardware-profile.json'), 'utf8'));
  assert.equal(Object.keys(cache.profiles).length, 2);
});

test('an invalid cache file costs a measurement, with a warning, and is rewritten', { timeout: 120_000 }, async () => {
  const dir = await tempDir();
  await writeFile(join(dir, 'hardware-profile.json'), '{"version": 1, "profiles": {"x": {"measuredAt": "yesterday"}}}');
  const logger = new MemoryLogger();
  const hw = service(twoVendors, dir, { logger });
  assert.equal((await hw.refresh()).profile.state, 'none');
  assert.match(logger.lines.join('\n'), /hardware profile cache .* is invalid/);
  await hw.benchmark();
  const cache = JSON.parse(await readFile(join(dir, 'hardware-profile.json'), 'utf8'));
  assert.equal(cache.version, 1);
  assert.equal(Object.keys(cache.profiles).length, 1);
});

test('telemetry is sampled only while someone listens', { timeout: 120_000 }, async () => {
  let detections = 0;
  const counting: HardwareProbe = { provider: twoVendors.provider, detect: () => (detections++, twoVendors.detect()) };
  const clock = new FakeClock();
  const hw = createHardwareService({
    probe: counting,
    clock,
    logger: new MemoryLogger(),
    cacheDir: await tempDir(),
    telemetryIntervalMs: 1000,
  });
  assert.equal(detections, 0);

  const samples: Telemetry[] = [];
  let next: (() => void) | null = null;
  const arrived = () => new Promise<void>((resolve) => (next = resolve));
  let wait = arrived();
  const stop = hw.subscribeTelemetry((t) => {
    samples.push(t);
    next?.();
  });
  await wait;
  assert.deepEqual(samples[0]?.gpus[0], {
    id: 'GPU-12345678-aaaa-bbbb-cccc-0123456789ab',
    utilizationPercent: 0,
    memoryUsedBytes: 22437 * 1024 ** 2,
    temperatureC: 13,
    powerDrawW: 6.41,
  });
  wait = arrived();
  clock.advance(1000);
  await wait;
  assert.equal(samples.length, 2);

  stop();
  const counted = detections;
  clock.advance(10_000);
  assert.equal(detections, counted, 'no sampling without listeners');
});

const webGpuReport = (adapter: { name: string; vendor: string; description: string; software?: boolean }): WebGpuReport => ({
  status: 'measured',
  measuredAt: Date.UTC(2026, 10, 25, 12, 5),
  durationMs: 900,
  adapter: {
    architecture: '',
    device: '',
    software: false,
    features: [],
    languageFeatures: [],
    limits: {
      maxBufferSize: 1 << 30,
      maxStorageBufferBindingSize: 1 << 27,
      maxComputeWorkgroupStorageSize: 32768,
      maxComputeInvocationsPerWorkgroup: 1024,
    },
    ...adapter,
  },
  kernels: [],
  summary: { fp32Gflops: 70_000, memoryBandwidthGBs: 900 },
});

test(
  'a WebGPU measurement becomes the profile of the GPU it ran on; a GPU outside the spec table says so',
  { timeout: 120_000 },
  async () => {
    const dir = await tempDir();
    const hw = service(twoVendors, dir);
    await hw.refresh();
    const radeon = webGpuReport({ name: 'AMD Radeon RX 6700 XT', vendor: 'amd', description: 'AMD Radeon RX 6700 XT (RADV NAVI22)' });
    assert.deepEqual(await hw.acceptWebGpuReport(radeon), {
      ok: true,
      value: { deviceId: 'amd:0000:07:00.0', note: 'Measured via WebGPU on AMD Radeon RX 6700 XT.' },
    });
    const capabilities = () => hw.snapshot()!.devices[2]!.capabilities;
    assert.deepEqual(
      [capabilities().basis, capabilities().fp32Gflops, capabilities().memoryBandwidthGbps, capabilities().fp16Gflops],
      ['measured', 70_000, 900, null],
    );
    assert.equal(capabilities().note, 'Measured via WebGPU on AMD Radeon RX 6700 XT.');
    assert.equal(hw.snapshot()!.devices[0]!.capabilities.basis, 'spec', 'the NVIDIA GPUs keep their spec figures');

    const restarted = await service(twoVendors, dir).refresh();
    assert.equal(restarted.devices[2]!.capabilities.fp32Gflops, 70_000, 'cached under the fingerprint');
    // Two identical cards: the adapter's name cannot say which one WebGPU ran on.
    const a5000 = await hw.acceptWebGpuReport(
      webGpuReport({ name: 'NVIDIA RTX A5000', vendor: 'nvidia', description: 'NVIDIA RTX A5000' }),
    );
    assert.equal(a5000.ok && a5000.value.deviceId, null);
  },
);

test('WebGPU reports that say nothing about one detected GPU are declined with the reason', { timeout: 120_000 }, async () => {
  const hw = service(twoVendors, await tempDir());
  const software = await hw.acceptWebGpuReport(
    webGpuReport({ name: 'SwiftShader', vendor: 'google', description: 'SwiftShader', software: true }),
  );
  assert.equal(software.ok && software.value.deviceId, null);
  assert.match(software.ok ? software.value.note : '', /software WebGPU adapter/);
  const unnamed = await hw.acceptWebGpuReport(webGpuReport({ name: 'nvidia ampere', vendor: 'nvidia', description: '' }));
  assert.deepEqual(unnamed.ok && unnamed.value, {
    deviceId: null,
    note: 'Cannot tell which detected GPU WebGPU measured (nvidia ampere); its figures were not used.',
  });
  assert.equal(hw.snapshot()!.devices.filter((d) => d.capabilities.basis === 'measured').length, 0);
});
